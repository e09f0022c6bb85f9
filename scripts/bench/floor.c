/*
 * The end-to-end benchmark's floor (scripts/bench-e2e): the least a reader of the simulator's stream
 * can do. Plain TCP (no TLS), the WebSocket upgrade written by hand, one epoll loop over N sockets
 * to the same stream, CLOCK_REALTIME stamped once per read(2), frame boundaries found from the
 * headers, and of each text frame only the "u": id read. The first copy of an id wins (ids only
 * increase on every connection, so "first" is "above the highest id seen"); its (id, stamp) goes
 * into a 1 MiB buffer that is write(2)n to --out when full, so memory stays flat, like a capture.
 *
 *   floor --port P [--host 127.0.0.1] [--path /public/stream?streams=btcusdt@bookTicker]
 *         [--connections N] --out FILE
 *
 * Runs until SIGTERM/SIGINT. FILE: "TTFLOOR1", then (u64 id, i64 receive ns) little-endian records
 * in arrival order. A summary line goes to stdout at exit.
 *
 * Built by scripts/bench-e2e with gcc -O2; no dependencies.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 64
#define READ_BUFFER (4 << 20)
#define OUT_BUFFER (1 << 20)

struct connection {
    int fd;
    int open;
    unsigned char *buf;
    size_t len;
};

static volatile sig_atomic_t stopping = 0;
static void on_signal(int sig) { (void)sig; stopping = 1; }

static unsigned char out_buf[OUT_BUFFER];
static size_t out_len = 0;
static int out_fd = -1;

static void die(const char *what) { perror(what); exit(1); }

static void out_flush(void) {
    size_t done = 0;
    while (done < out_len) {
        ssize_t n = write(out_fd, out_buf + done, out_len - done);
        if (n < 0) { if (errno == EINTR) continue; die("write"); }
        done += (size_t)n;
    }
    out_len = 0;
}

static inline void out_record(uint64_t id, int64_t ns) {
    if (out_len + 16 > OUT_BUFFER) out_flush();
    memcpy(out_buf + out_len, &id, 8);   /* x86-64 / aarch64 Linux: little-endian */
    memcpy(out_buf + out_len + 8, &ns, 8);
    out_len += 16;
}

static inline int64_t realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int connect_ws(const char *host, int port, const char *path, int index, struct connection *c) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { fprintf(stderr, "floor: bad host %s\n", host); exit(2); }
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect");
    char request[1024];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "User-Agent: ticktape-floor conn/%d\r\n\r\n",
                     path, host, port, index);
    if (write(fd, request, (size_t)n) != n) die("write upgrade");
    c->fd = fd;
    c->open = 1;
    c->buf = malloc(READ_BUFFER);
    if (!c->buf) die("malloc");
    c->len = 0;
    /* Read the response head; whatever follows it is already frame data. */
    for (;;) {
        ssize_t r = read(fd, c->buf + c->len, READ_BUFFER - c->len);
        if (r <= 0) die("read upgrade response");
        c->len += (size_t)r;
        unsigned char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (end) {
            if (c->len < 12 || memcmp(c->buf + 9, "101", 3) != 0) {
                fprintf(stderr, "floor: upgrade refused: %.*s\n", (int)(end - c->buf), c->buf);
                exit(1);
            }
            size_t head = (size_t)(end - c->buf) + 4;
            memmove(c->buf, c->buf + head, c->len - head);
            c->len -= head;
            break;
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static uint64_t highest = 0, firsts = 0, copies = 0, frames = 0, reads = 0, no_id = 0;

/* Consumes every complete frame in c->buf, all stamped `ns` (the read that completed them). */
static void consume(struct connection *c, int64_t ns) {
    size_t pos = 0;
    while (c->len - pos >= 2) {
        unsigned char *p = c->buf + pos;
        unsigned opcode = p[0] & 0x0f;
        uint64_t length = p[1] & 0x7f;
        size_t header = 2;
        if (length == 126) {
            if (c->len - pos < 4) break;
            length = ((uint64_t)p[2] << 8) | p[3];
            header = 4;
        } else if (length == 127) {
            if (c->len - pos < 10) break;
            length = 0;
            for (int i = 0; i < 8; i++) length = (length << 8) | p[2 + i];
            header = 10;
        }
        if (p[1] & 0x80) header += 4; /* a server never masks; tolerate it anyway */
        if (c->len - pos < header + length) break;
        unsigned char *payload = p + header;
        frames++;
        if (opcode == 1) {
            unsigned char *u = memmem(payload, length, "\"u\":", 4);
            if (u) {
                uint64_t id = 0;
                unsigned char *d = u + 4, *end = payload + length;
                while (d < end && *d >= '0' && *d <= '9') id = id * 10 + (uint64_t)(*d++ - '0');
                if (id > highest) {
                    highest = id;
                    firsts++;
                    out_record(id, ns);
                } else {
                    copies++;
                }
            } else {
                no_id++;
            }
        } else if (opcode == 8) {
            c->open = 0;
        }
        pos += header + length;
    }
    if (pos > 0) {
        memmove(c->buf, c->buf + pos, c->len - pos);
        c->len -= pos;
    }
    if (c->len == READ_BUFFER) { fprintf(stderr, "floor: frame larger than %d bytes\n", READ_BUFFER); exit(1); }
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *path = "/public/stream?streams=btcusdt@bookTicker", *out = NULL;
    int port = 0, count = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--host")) host = argv[i + 1];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--path")) path = argv[i + 1];
        else if (!strcmp(argv[i], "--connections")) count = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--out")) out = argv[i + 1];
        else { fprintf(stderr, "floor: unknown option %s\n", argv[i]); return 2; }
    }
    if (!port || !out || count < 1 || count > MAX_CONNECTIONS) {
        fprintf(stderr, "usage: floor --port P --out FILE [--host H] [--path P] [--connections N]\n");
        return 2;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) die("open --out");
    memcpy(out_buf, "TTFLOOR1", 8);
    out_len = 8;

    static struct connection conns[MAX_CONNECTIONS];
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    for (int k = 0; k < count; k++) {
        connect_ws(host, port, path, k, &conns[k]);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[k].fd, &ev) != 0) die("epoll_ctl");
        /* Bytes that came with the upgrade response. */
        if (conns[k].len) consume(&conns[k], realtime_ns());
    }
    printf("floor: %d connection(s) upgraded\n", count);
    fflush(stdout);

    struct epoll_event events[MAX_CONNECTIONS];
    while (!stopping) {
        int n = epoll_wait(ep, events, MAX_CONNECTIONS, 200);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        for (int e = 0; e < n; e++) {
            struct connection *c = &conns[events[e].data.u32];
            for (;;) {
                ssize_t r = read(c->fd, c->buf + c->len, READ_BUFFER - c->len);
                if (r > 0) {
                    int64_t ns = realtime_ns();
                    reads++;
                    c->len += (size_t)r;
                    consume(c, ns);
                    continue;
                }
                if (r < 0 && errno == EINTR) continue;
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                /* EOF or error: this connection is done. */
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                c->open = 0;
                break;
            }
        }
    }
    out_flush();
    close(out_fd);
    printf("floor: frames %llu, first copies %llu, later copies %llu, reads %llu, text frames without id %llu\n",
           (unsigned long long)frames, (unsigned long long)firsts, (unsigned long long)copies,
           (unsigned long long)reads, (unsigned long long)no_id);
    return 0;
}
