/*
 * modbus-libmodbus-server: libmodbus's own Modbus/TCP server, the C reference of the benchmarks. It uses
 * libmodbus's documented server API only: modbus_new_tcp + modbus_tcp_listen, a modbus_mapping_new store
 * (10,000 of each table; holding registers all 7), and for each readable client socket modbus_set_socket,
 * modbus_receive (one whole request) and modbus_reply; poll() over the listener and every client, one
 * thread, as libmodbus's many-clients example does with select(). Needs libmodbus (3.1.x) and its headers.
 *
 * usage: modbus-libmodbus-server [PORT [HOST]]   (PORT 0, the default, picks a free port; HOST 127.0.0.1)
 * prints "PORT <n>" on stdout once listening; exits when its stdin closes or on SIGTERM/SIGINT.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TABLE 10000
#define MAX_FDS 4096

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  const char *host = argc > 2 ? argv[2] : "127.0.0.1";
  modbus_t *ctx = modbus_new_tcp(host, port);
  if (ctx == NULL) {
    fprintf(stderr, "ERROR modbus_new_tcp: %s\n", modbus_strerror(errno));
    return 1;
  }
  modbus_mapping_t *map = modbus_mapping_new(TABLE, TABLE, TABLE, TABLE);
  if (map == NULL) {
    fprintf(stderr, "ERROR modbus_mapping_new: %s\n", modbus_strerror(errno));
    return 1;
  }
  for (int i = 0; i < TABLE; i++) map->tab_registers[i] = 7;
  int listener = modbus_tcp_listen(ctx, 64);
  if (listener < 0) {
    fprintf(stderr, "ERROR modbus_tcp_listen: %s\n", modbus_strerror(errno));
    return 1;
  }
  struct sockaddr_in bound;
  socklen_t size = sizeof bound;
  getsockname(listener, (struct sockaddr *)&bound, &size);
  printf("PORT %d\n", ntohs(bound.sin_port));
  fflush(stdout);

  static struct pollfd fds[MAX_FDS];
  int n = 2;
  fds[0] = (struct pollfd){0, POLLIN, 0}; /* stdin: its end of file stops the server */
  fds[1] = (struct pollfd){listener, POLLIN, 0};
  uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  for (;;) {
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) {
      char drain[256];
      if (read(0, drain, sizeof drain) <= 0) break;
    }
    if (fds[1].revents & POLLIN) {
      int client = accept(listener, NULL, NULL);
      if (client >= 0) {
        if (n < MAX_FDS) fds[n++] = (struct pollfd){client, POLLIN, 0};
        else close(client);
      }
    }
    for (int i = 2; i < n; i++) {
      if (fds[i].revents == 0) continue;
      modbus_set_socket(ctx, fds[i].fd);
      int rc = modbus_receive(ctx, query);
      if (rc > 0) modbus_reply(ctx, query, rc, map);
      else if (rc == -1) {
        /* the client closed or sent garbage: drop it and keep the list dense */
        close(fds[i].fd);
        fds[i--] = fds[--n];
      }
      /* rc == 0: a request for another unit, ignored as libmodbus does */
    }
  }
  modbus_set_socket(ctx, -1);
  modbus_mapping_free(map);
  modbus_close(ctx);
  modbus_free(ctx);
  close(listener);
  return 0;
}
