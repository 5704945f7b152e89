/*
 * modbus-load: a Modbus/TCP load generator. Every request is FC3 (Read Holding Registers) of 100 registers
 * from address 0, unit 1; every reply is checked (transaction id, unit, function 3, byte count 200).
 * Bytes are built here from the Modbus Application Protocol spec (MBAP header §4.1, FC3 §6.3).
 *
 *   lockstep: one connection, blocking sockets, the next request only after the previous reply arrived
 *             whole, as fast as the server answers.
 *   poll:     CONNS connections on one epoll loop, each sending one request every PERIOD_MS (spread evenly
 *             over the first period); a request falling due while the previous one is unanswered is sent
 *             as soon as its reply arrives. Latency is send to whole reply, CLOCK_MONOTONIC.
 *
 * usage: modbus-load PORT lockstep|poll CONNS PERIOD_MS SECONDS WARMUP_SECONDS [HOST [any-transaction]]
 *   (any-transaction: do not check the replies' transaction ids, for a canned-reply server)
 * prints one JSON line on stdout, exit 0:
 *   {"mode":…,"connections":…,"requests":<replies in the measured window>,"seconds":…,"rate":…,
 *    "p50_ms":…,"p99_ms":…,"max_ms":…,"late":<requests sent after their due time>}
 * prints "ERROR <reason>" on stderr, exit 1, on a bad reply, a closed connection or a reply missing for 5 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_SIZE 12
#define QUANTITY 100
#define REPLY_SIZE (9 + 2 * QUANTITY)
#define MAX_ADU 260

static void fail(const char *why) {
  fprintf(stderr, "ERROR %s\n", why);
  exit(1);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The FC3 request: MBAP (transaction, protocol 0, length 6, unit 1), function 3, address 0, quantity. */
static void request(uint8_t *p, unsigned transaction) {
  p[0] = (uint8_t)(transaction >> 8);
  p[1] = (uint8_t)transaction;
  p[2] = 0;
  p[3] = 0;
  p[4] = 0;
  p[5] = 6;
  p[6] = 1;
  p[7] = 3;
  p[8] = 0;
  p[9] = 0;
  p[10] = 0;
  p[11] = QUANTITY;
}

/* 0 for a canned-reply server, which answers every request with the same transaction id. */
static int check_transaction = 1;

static void check_reply(const uint8_t *r, unsigned transaction) {
  if (check_transaction && ((unsigned)r[0] << 8 | r[1]) != (transaction & 0xFFFF)) fail("the reply's transaction id is not the request's");
  if (r[2] != 0 || r[3] != 0) fail("the reply's protocol id is not 0");
  if (r[6] != 1) fail("the reply's unit is not 1");
  if (r[7] != 3) fail(r[7] == 0x83 ? "the server answered FC3 with an exception" : "the reply is not FC3");
  if (((unsigned)r[4] << 8 | r[5]) != 3 + 2 * QUANTITY) fail("the reply's MBAP length is wrong");
  if (r[8] != 2 * QUANTITY) fail("the reply's byte count is not 200");
}

/* Bytes of the reply to read in all: its MBAP header first, then as many as the header's length says. */
static size_t reply_want(const uint8_t *r, size_t have) {
  if (have < 7) return 7;
  size_t length = (size_t)r[4] << 8 | r[5];
  if (length < 2 || length + 6 > MAX_ADU) fail("the reply's MBAP length is outside 2-254");
  return 6 + length;
}

static int open_connection(const char *host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket failed (too many open files?)");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) fail("HOST is not an IPv4 address");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) fail("connect failed");
  return fd;
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

/* Latencies of the measured window, seconds. */
static double *lat;
static size_t nlat, caplat;
static void record(double seconds) {
  if (nlat == caplat) {
    caplat = caplat ? caplat * 2 : 65536;
    lat = realloc(lat, caplat * sizeof *lat);
    if (lat == NULL) fail("out of memory");
  }
  lat[nlat++] = seconds;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(double p) {
  if (nlat == 0) return 0;
  size_t i = (size_t)(p * (double)nlat);
  return lat[i < nlat ? i : nlat - 1];
}

static void print_result(const char *mode, int conns, double seconds, unsigned long late) {
  qsort(lat, nlat, sizeof *lat, by_value);
  printf("{\"mode\":\"%s\",\"connections\":%d,\"requests\":%zu,\"seconds\":%.6f,\"rate\":%.1f,"
         "\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f,\"late\":%lu}\n",
         mode, conns, nlat, seconds, (double)nlat / seconds, percentile(0.5) * 1e3, percentile(0.99) * 1e3,
         nlat ? lat[nlat - 1] * 1e3 : 0.0, late);
}

static void lockstep(const char *host, int port, double seconds, double warmup) {
  int fd = open_connection(host, port);
  uint8_t req[REQUEST_SIZE], rep[MAX_ADU];
  unsigned transaction = 0;
  double start = now(), measure_from = start + warmup, until = measure_from + seconds;
  for (;;) {
    request(req, ++transaction);
    double sent = now();
    if (sent >= until) break;
    send_all(fd, req, sizeof req);
    /* One reply is outstanding: ask for a whole FC3 reply at once (one read), take less for a shorter one. */
    size_t have = 0;
    for (size_t want = REPLY_SIZE; have < 7 || have < (want = reply_want(rep, have));) {
      ssize_t r = read(fd, rep + have, want - have);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) fail("no reply within 5 s");
        fail("read failed");
      }
      if (r == 0) fail("the server closed the connection");
      have += (size_t)r;
    }
    if (have > reply_want(rep, have)) fail("more bytes than one reply");
    check_reply(rep, transaction);
    if (sent >= measure_from) record(now() - sent);
  }
  close(fd);
  print_result("lockstep", 1, seconds, 0);
}

struct conn {
  int fd;
  unsigned transaction;
  int waiting;     /* a request is unanswered */
  double sent;     /* when it was sent */
  double due;      /* when the next request is due */
  size_t have;     /* reply bytes received so far */
  uint8_t rep[MAX_ADU];
};

static void poll_clients(const char *host, int port, int n, double period, double seconds, double warmup) {
  struct conn *c = calloc((size_t)n, sizeof *c);
  if (c == NULL) fail("out of memory");
  int ep = epoll_create1(0);
  if (ep < 0) fail("epoll_create1 failed");
  for (int i = 0; i < n; i++) {
    c[i].fd = open_connection(host, port);
    fcntl(c[i].fd, F_SETFL, fcntl(c[i].fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev) != 0) fail("epoll_ctl failed");
  }
  double start = now(), measure_from = start + warmup, until = measure_from + seconds;
  for (int i = 0; i < n; i++) c[i].due = start + period * i / n;
  unsigned long late = 0;
  struct epoll_event events[256];
  uint8_t req[REQUEST_SIZE];
  for (;;) {
    double t = now();
    double next = until + 5;
    int outstanding = 0;
    for (int i = 0; i < n; i++) {
      struct conn *k = &c[i];
      if (k->waiting) {
        outstanding = 1;
        if (t - k->sent > 5) fail("no reply within 5 s");
        continue;
      }
      if (k->due >= until) continue;
      if (k->due <= t) {
        if (t - k->due > 0.001 && t >= measure_from) late++;
        request(req, ++k->transaction);
        k->sent = now();
        send_all(k->fd, req, sizeof req);
        k->waiting = 1;
        outstanding = 1;
        k->due += period;
        if (k->due < t) k->due = t; /* fell behind: do not send a burst to catch up */
        continue;
      }
      if (k->due < next) next = k->due;
    }
    if (!outstanding && next >= until) break;
    int timeout = outstanding && next > t + 0.1 ? 100 : (int)((next - t) * 1e3);
    if (timeout < 0) timeout = 0;
    int m = epoll_wait(ep, events, 256, timeout);
    if (m < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait failed");
    }
    for (int e = 0; e < m; e++) {
      struct conn *k = &c[events[e].data.u32];
      for (;;) {
        size_t want = k->have < 7 ? REPLY_SIZE : reply_want(k->rep, k->have);
        ssize_t r = read(k->fd, k->rep + k->have, want - k->have);
        if (r < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          fail("read failed");
        }
        if (r == 0) fail("the server closed the connection");
        if (!k->waiting) fail("a reply arrived with no request outstanding");
        k->have += (size_t)r;
        if (k->have < 7 || k->have < reply_want(k->rep, k->have)) continue;
        if (k->have > reply_want(k->rep, k->have)) fail("more bytes than one reply");
        double done = now();
        check_reply(k->rep, k->transaction);
        k->have = 0;
        k->waiting = 0;
        if (k->sent >= measure_from && k->sent < until) record(done - k->sent);
        break;
      }
    }
  }
  for (int i = 0; i < n; i++) close(c[i].fd);
  free(c);
  print_result("poll", n, seconds, late);
}

int main(int argc, char **argv) {
  if (argc < 7) fail("usage: modbus-load PORT lockstep|poll CONNS PERIOD_MS SECONDS WARMUP_SECONDS [HOST [any-transaction]]");
  int port = atoi(argv[1]);
  const char *mode = argv[2];
  int conns = atoi(argv[3]);
  double period = atof(argv[4]) / 1e3, seconds = atof(argv[5]), warmup = atof(argv[6]);
  const char *host = argc > 7 ? argv[7] : "127.0.0.1";
  if (argc > 8) {
    if (strcmp(argv[8], "any-transaction") != 0) fail("the 8th argument can only be any-transaction");
    check_transaction = 0;
  }
  if (port <= 0 || port > 65535) fail("PORT must be 1-65535");
  if (seconds <= 0 || warmup < 0) fail("SECONDS must be > 0 and WARMUP_SECONDS >= 0");
  if (strcmp(mode, "lockstep") == 0) lockstep(host, port, seconds, warmup);
  else if (strcmp(mode, "poll") == 0) {
    if (conns <= 0 || period <= 0) fail("poll needs CONNS > 0 and PERIOD_MS > 0");
    poll_clients(host, port, conns, period, seconds, warmup);
  } else fail("MODE must be lockstep or poll");
  return 0;
}
