/*
 * enip-echo: the C reference server of the benchmarks. It frames each request by its encapsulation length
 * and answers with canned, correctly framed replies, doing no CIP work: RegisterSession gets a session
 * handle, SendRRData gets a Read Tag reply carrying one DINT (whatever it asked), any other command gets
 * encapsulation status 0x0001 (invalid command). One thread, epoll, non-blocking sockets, one write() per
 * batch of replies. It shows what a round trip costs when the server's own work is next to nothing.
 *
 * usage: enip-echo [PORT [HOST]]   (PORT 0, the default, picks a free port; HOST defaults to 127.0.0.1)
 * prints "PORT <n>" on stdout once listening; exits when its stdin closes or on SIGTERM/SIGINT.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEADER 24
#define MAX_FRAME (HEADER + 65535)
#define CMD_REGISTER_SESSION 0x0065
#define CMD_SEND_RR_DATA 0x006F
#define STATUS_INVALID_COMMAND 0x0001
#define MAX_CONNECTIONS 1024

struct conn {
  int fd;
  size_t have;
  uint8_t in[MAX_FRAME + 4096];
};

static unsigned get16(const uint8_t *p) { return (unsigned)p[0] | ((unsigned)p[1] << 8); }
static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, v & 0xFFFF);
  put16(p + 2, v >> 16);
}

static uint32_t next_session = 0x1000;

/* Writes all of `n` bytes, waiting for room when the socket is full; 0 on success. */
static int send_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        poll(&pfd, 1, 1000);
        continue;
      }
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Appends the reply to the request `q` at `out`; returns its size. The header echoes session and context. */
static size_t answer(const uint8_t *q, uint8_t *out) {
  unsigned command = get16(q);
  memcpy(out, q, HEADER);
  put32(out + 8, 0);
  if (command == CMD_REGISTER_SESSION) {
    put16(out + 2, 4);
    put32(out + 4, next_session++);
    put16(out + HEADER, 1);
    put16(out + HEADER + 2, 0);
    return HEADER + 4;
  }
  if (command == CMD_SEND_RR_DATA) {
    static const uint8_t body[] = {
        0, 0, 0, 0,             /* interface handle */
        0, 0,                   /* timeout */
        2, 0,                   /* item count */
        0x00, 0x00, 0, 0,       /* null address item */
        0xB2, 0x00, 10, 0,      /* unconnected data item, 10 bytes */
        0xCC, 0, 0, 0,          /* Read Tag reply, general status 0, no extended status */
        0xC4, 0,                /* DINT */
        0x2A, 0, 0, 0,          /* 42 */
    };
    put16(out + 2, sizeof body);
    memcpy(out + HEADER, body, sizeof body);
    return HEADER + sizeof body;
  }
  put16(out + 2, 0);
  put32(out + 8, STATUS_INVALID_COMMAND);
  return HEADER;
}

/* Reads what the peer sent, answers every whole frame in one write; -1 when the connection is done. */
static int serve(struct conn *c) {
  static uint8_t out[256 * 1024];
  for (;;) {
    size_t room = sizeof c->in - c->have;
    ssize_t r = read(c->fd, c->in + c->have, room);
    if (r < 0) {
      if (errno == EINTR) continue;
      return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
    if (r == 0) return -1;
    c->have += (size_t)r;
    size_t at = 0, o = 0;
    while (c->have - at >= HEADER) {
      size_t total = HEADER + get16(c->in + at + 2);
      if (c->have - at < total) break;
      if (o + 64 > sizeof out) {
        if (send_all(c->fd, out, o) < 0) return -1;
        o = 0;
      }
      o += answer(c->in + at, out + o);
      at += total;
    }
    if (o > 0 && send_all(c->fd, out, o) < 0) return -1;
    memmove(c->in, c->in + at, c->have - at);
    c->have -= at;
    if ((size_t)r < room) return 0; /* a short read drained the socket: wait for the next event */
  }
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  const char *host = argc > 2 ? argv[2] : "127.0.0.1";
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in at = {0};
  at.sin_family = AF_INET;
  at.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &at.sin_addr) != 1) {
    fprintf(stderr, "ERROR HOST is not an IPv4 address\n");
    return 1;
  }
  if (bind(lfd, (struct sockaddr *)&at, sizeof at) < 0 || listen(lfd, 128) < 0) {
    perror("ERROR bind/listen");
    return 1;
  }
  socklen_t len = sizeof at;
  getsockname(lfd, (struct sockaddr *)&at, &len);
  printf("PORT %d\n", ntohs(at.sin_port));
  fflush(stdout);

  int ep = epoll_create1(0);
  struct epoll_event ev = {0};
  ev.events = EPOLLIN;
  ev.data.ptr = NULL; /* the listening socket */
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  static int stdin_tag;
  ev.data.ptr = &stdin_tag; /* stdin: its end (the parent gone) ends us */
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  int open_count = 0;
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (int i = 0; i < n; i++) {
      void *tag = events[i].data.ptr;
      if (tag == &stdin_tag) {
        char b[256];
        if (read(0, b, sizeof b) <= 0) return 0;
        continue;
      }
      if (tag == NULL) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        if (open_count >= MAX_CONNECTIONS) {
          close(fd);
          continue;
        }
        struct conn *c = malloc(sizeof *c);
        if (c == NULL) {
          close(fd);
          continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        c->have = 0;
        struct epoll_event cev = {0};
        cev.events = EPOLLIN;
        cev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        open_count++;
        continue;
      }
      struct conn *c = tag;
      if (serve(c) < 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        free(c);
        open_count--;
      }
    }
  }
}
