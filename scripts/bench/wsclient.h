/*
 * What the benchmarks' C clients (floor.c, relay_load.c) share: a plain-TCP WebSocket client
 * reduced to what a reader of a server's stream needs. The upgrade written by hand, frame
 * boundaries found from the headers, an output buffer written to a file in large blocks so
 * memory stays flat, CLOCK_REALTIME stamps. Header-only; `name` prefixes error messages.
 */
#ifndef TICKTAPE_BENCH_WSCLIENT_H
#define TICKTAPE_BENCH_WSCLIENT_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static inline int64_t realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The output file: records appended to a buffer of `out_capacity` bytes, written when full. */
static unsigned char *out_buf;
static size_t out_len = 0, out_capacity = 0;
static int out_fd = -1;

static void out_open(const char *path, const char *magic, size_t capacity) {
    out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out_fd < 0) die("open --out");
    out_capacity = capacity;
    out_buf = malloc(capacity);
    if (!out_buf) die("malloc");
    if (write(out_fd, magic, 8) != 8) die("write");
}

static void out_flush(void) {
    size_t done = 0;
    while (done < out_len) {
        ssize_t n = write(out_fd, out_buf + done, out_len - done);
        if (n < 0) { if (errno == EINTR) continue; die("write"); }
        done += (size_t)n;
    }
    out_len = 0;
}

/* Appends `n` bytes (x86-64 / aarch64 Linux: the fields are little-endian as they are). */
static inline void out_append(const void *bytes, size_t n) {
    if (out_len + n > out_capacity) out_flush();
    memcpy(out_buf + out_len, bytes, n);
    out_len += n;
}

/*
 * Connects to ws://host:port/path, sends the upgrade (with `extra_headers`, "" or lines ending
 * in \r\n) and reads the 101 response into `buf` (`capacity` bytes); whatever follows the head
 * is already frame data, left at the start of `buf` with its length in `*len`. Returns the
 * socket, non-blocking.
 */
static int ws_connect(const char *name, const char *host, int port, const char *path, const char *extra_headers,
                      unsigned char *buf, size_t capacity, size_t *len) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { fprintf(stderr, "%s: bad host %s\n", name, host); exit(2); }
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect");
    char request[1024];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                     path, host, port, extra_headers);
    if (write(fd, request, (size_t)n) != n) die("write upgrade");
    *len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + *len, capacity - *len);
        if (r <= 0) die("read upgrade response");
        *len += (size_t)r;
        unsigned char *end = memmem(buf, *len, "\r\n\r\n", 4);
        if (end) {
            if (*len < 12 || memcmp(buf + 9, "101", 3) != 0) {
                fprintf(stderr, "%s: upgrade refused: %.*s\n", name, (int)(end - buf), buf);
                exit(1);
            }
            size_t head = (size_t)(end - buf) + 4;
            memmove(buf, buf + head, *len - head);
            *len -= head;
            break;
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* One frame at the start of `p` (`available` bytes): its opcode, payload and length. Returns
 * the frame's whole size, or 0 when it is not complete yet. */
static inline size_t ws_frame(const unsigned char *p, size_t available, unsigned *opcode, const unsigned char **payload,
                              uint64_t *length) {
    if (available < 2) return 0;
    *opcode = p[0] & 0x0f;
    uint64_t n = p[1] & 0x7f;
    size_t header = 2;
    if (n == 126) {
        if (available < 4) return 0;
        n = ((uint64_t)p[2] << 8) | p[3];
        header = 4;
    } else if (n == 127) {
        if (available < 10) return 0;
        n = 0;
        for (int i = 0; i < 8; i++) n = (n << 8) | p[2 + i];
        header = 10;
    }
    if (p[1] & 0x80) header += 4; /* a server never masks; tolerate it anyway */
    if (available < header + n) return 0;
    *payload = p + header;
    *length = n;
    return header + (size_t)n;
}

/* The number after the first "u": in a text payload; 0 if there is none. */
static inline uint64_t ws_update_id(const unsigned char *payload, uint64_t length) {
    const unsigned char *u = memmem(payload, length, "\"u\":", 4);
    if (!u) return 0;
    uint64_t id = 0;
    const unsigned char *d = u + 4, *end = payload + length;
    while (d < end && *d >= '0' && *d <= '9') id = id * 10 + (uint64_t)(*d++ - '0');
    return id;
}

#endif
