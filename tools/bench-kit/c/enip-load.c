/*
 * enip-load: a lock-step EtherNet/IP load generator (pipeline depth 1), the shape of a C PLC library's
 * tag read loop. It registers a session, then sends SendRRData / Unconnected Send / Read Tag requests
 * for one atomic tag, one at a time, each only after the previous reply arrived whole, and checks
 * every reply. Bytes are built here from the EtherNet/IP and CIP specs (Vol 2 §2-3, Vol 1 §3-5.5.1,
 * Logix 1756-PM020 Read Tag).
 *
 * usage: enip-load PORT SECONDS WARMUP_SECONDS [TAG [HOST]]   (TAG defaults to "D", HOST to 127.0.0.1)
 * prints: "OK <replies counted> <seconds measured>" on stdout, exit 0;
 *         "ERROR <reason>" on stderr, exit 1, on any bad reply or one missing for 5 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define HEADER 24
#define CMD_REGISTER_SESSION 0x0065
#define CMD_SEND_RR_DATA 0x006F
#define ITEM_NULL_ADDRESS 0x0000
#define ITEM_UNCONNECTED_DATA 0x00B2
#define SVC_UNCONNECTED_SEND 0x52
#define SVC_READ_TAG 0x4C
#define REPLY_BIT 0x80
#define TYPE_DINT 0xC4

static void fail(const char *why) {
  fprintf(stderr, "ERROR %s\n", why);
  exit(1);
}

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, v & 0xFFFF);
  put16(p + 2, v >> 16);
}
static unsigned get16(const uint8_t *p) { return (unsigned)p[0] | ((unsigned)p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | ((uint32_t)get16(p + 2) << 16); }

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void send_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    p += w;
    n -= (size_t)w;
  }
}

/* Reads one whole encapsulation frame (framed by its length field) into buf; returns its size. */
static size_t recv_frame(int fd, uint8_t *buf, size_t cap) {
  size_t have = 0, want = HEADER;
  while (have < want) {
    ssize_t r = read(fd, buf + have, want - have);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) fail("no reply within 5 s");
      fail("read failed");
    }
    if (r == 0) fail("the server closed the connection");
    have += (size_t)r;
    if (have >= HEADER && want == HEADER) {
      want = HEADER + get16(buf + 2);
      if (want > cap) fail("reply longer than the receive buffer");
    }
  }
  return have;
}

/* The 24-byte encapsulation header: command, length, session, status 0, sender context, options 0. */
static void header(uint8_t *p, unsigned command, unsigned length, uint32_t session, uint64_t context) {
  put16(p, command);
  put16(p + 2, length);
  put32(p + 4, session);
  put32(p + 8, 0);
  put32(p + 12, (uint32_t)context);
  put32(p + 16, (uint32_t)(context >> 32));
  put32(p + 20, 0);
}

/*
 * SendRRData carrying Unconnected Send (to the Connection Manager, class 6 instance 1) around Read Tag
 * <tag>, 1 element, routed to backplane port 1, slot 0. Returns the frame size.
 */
static size_t read_request(uint8_t *p, uint32_t session, const char *tag) {
  size_t len = strlen(tag);
  if (len == 0 || len > 200) fail("the tag name must have 1 to 200 characters");
  uint8_t cip[300];
  size_t at = 0;
  /* the embedded Read Tag: service, path size in words, ANSI extended symbolic segment, element count */
  uint8_t msg[256];
  size_t m = 0;
  size_t seg = 2 + len + (len & 1);
  msg[m++] = SVC_READ_TAG;
  msg[m++] = (uint8_t)(seg / 2);
  msg[m++] = 0x91;
  msg[m++] = (uint8_t)len;
  memcpy(msg + m, tag, len);
  m += len;
  if (len & 1) msg[m++] = 0;
  put16(msg + m, 1);
  m += 2;
  /* Unconnected Send: service, path (class 6, instance 1), priority/time tick, timeout ticks, size, message */
  cip[at++] = SVC_UNCONNECTED_SEND;
  cip[at++] = 2;
  cip[at++] = 0x20;
  cip[at++] = 0x06;
  cip[at++] = 0x24;
  cip[at++] = 0x01;
  cip[at++] = 0x0A;
  cip[at++] = 0x05;
  put16(cip + at, (unsigned)m);
  at += 2;
  memcpy(cip + at, msg, m);
  at += m;
  if (m & 1) cip[at++] = 0;
  cip[at++] = 1; /* route path: 1 word */
  cip[at++] = 0; /* reserved */
  cip[at++] = 0x01; /* port segment: port 1 */
  cip[at++] = 0x00; /* link 0 (slot 0) */
  /* the SendRRData body: interface handle, timeout, 2 CPF items */
  uint8_t *b = p + HEADER;
  put32(b, 0);
  put16(b + 4, 5);
  put16(b + 6, 2);
  put16(b + 8, ITEM_NULL_ADDRESS);
  put16(b + 10, 0);
  put16(b + 12, ITEM_UNCONNECTED_DATA);
  put16(b + 14, (unsigned)at);
  memcpy(b + 16, cip, at);
  size_t body = 16 + at;
  header(p, CMD_SEND_RR_DATA, (unsigned)body, session, 0);
  return HEADER + body;
}

/* Checks one Read Tag reply: our session and context, status 0, one DINT. */
static void check_reply(const uint8_t *r, size_t n, uint32_t session, uint64_t context) {
  if (get16(r) != CMD_SEND_RR_DATA) fail("the reply is not SendRRData");
  if (get32(r + 8) != 0) fail("the reply has a non-zero encapsulation status");
  if (get32(r + 4) != session) fail("the reply carries another session handle");
  if (get32(r + 12) != (uint32_t)context || get32(r + 16) != (uint32_t)(context >> 32))
    fail("the reply carries another sender context");
  if (n < HEADER + 16) fail("the reply is too short for two CPF items");
  const uint8_t *b = r + HEADER;
  if (get16(b + 6) != 2 || get16(b + 8) != ITEM_NULL_ADDRESS || get16(b + 12) != ITEM_UNCONNECTED_DATA)
    fail("the reply's CPF items are not a null address and unconnected data");
  size_t item = get16(b + 14);
  if (HEADER + 16 + item > n) fail("the reply's data item runs past the frame");
  const uint8_t *c = b + 16;
  if (item < 4 || c[0] != (SVC_READ_TAG | REPLY_BIT)) fail("the reply is not a Read Tag reply");
  if (c[2] != 0) fail("the Read Tag reply has a non-zero general status");
  size_t at = 4 + 2 * (size_t)c[3];
  if (item < at + 6 || c[at] != TYPE_DINT || c[at + 1] != 0) fail("the Read Tag reply is not one DINT");
}

int main(int argc, char **argv) {
  if (argc < 4) fail("usage: enip-load PORT SECONDS WARMUP_SECONDS [TAG [HOST]]");
  int port = atoi(argv[1]);
  double seconds = atof(argv[2]);
  double warmup = atof(argv[3]);
  const char *tag = argc > 4 ? argv[4] : "D";
  const char *host = argc > 5 ? argv[5] : "127.0.0.1";
  if (port <= 0 || port > 65535 || !(seconds > 0) || warmup < 0) fail("bad PORT, SECONDS or WARMUP_SECONDS");

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket failed");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval patience = {5, 0}; /* a reply missing for 5 s fails the run */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &to.sin_addr) != 1) fail("HOST is not an IPv4 address");
  if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0) fail("cannot connect");

  uint8_t req[512], rep[4096];
  /* RegisterSession: protocol version 1, option flags 0, a zero sender context */
  header(req, CMD_REGISTER_SESSION, 4, 0, 0);
  put16(req + HEADER, 1);
  put16(req + HEADER + 2, 0);
  send_all(fd, req, HEADER + 4);
  size_t n = recv_frame(fd, rep, sizeof rep);
  if (get16(rep) != CMD_REGISTER_SESSION || get32(rep + 8) != 0 || n < HEADER + 4)
    fail("RegisterSession was refused");
  uint32_t session = get32(rep + 4);
  if (session == 0) fail("RegisterSession returned session handle 0");

  size_t size = read_request(req, session, tag);
  uint64_t context = 0;
  long counted = 0;
  double start = now();
  double measure_from = start + warmup;
  double until = measure_from + seconds;
  double t = start;
  int measuring = 0;
  for (;;) {
    context++;
    put32(req + 12, (uint32_t)context);
    put32(req + 16, (uint32_t)(context >> 32));
    send_all(fd, req, size);
    n = recv_frame(fd, rep, sizeof rep);
    check_reply(rep, n, session, context);
    /* the clock is read once per round trip; the window starts at the first reply after the warm-up */
    t = now();
    if (measuring) counted++;
    else if (t >= measure_from) {
      measuring = 1;
      measure_from = t;
      until = t + seconds;
    }
    if (measuring && t >= until) break;
  }
  printf("OK %ld %.6f\n", counted, t - measure_from);
  close(fd);
  return 0;
}
