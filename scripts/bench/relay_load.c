/*
 * Load generator for the relay benchmark (scripts/bench-relay): N WebSocket clients of ticktape's
 * relay on one stream, in one epoll loop, written in C so that the clients cost as little as
 * possible next to the daemon they measure. Plain TCP, the upgrade written by hand, frame
 * boundaries from the headers, of each text frame only the "u": id read.
 *
 *   relay_load --port P [--host 127.0.0.1] [--path /ws/btcusdt@bookTicker] [--clients N]
 *              [--sample K] [--slow 1] --out FILE
 *
 * Every client checks that its ids strictly increase. Every K-th client (default 10) records
 * (client, id, CLOCK_REALTIME at the read) into FILE ("TTRELAY1", then u32 client, u32 pad,
 * u64 id, i64 ns little-endian), so the driver can join them with the capture's receive stamps.
 * --slow 1 adds one more client that never reads (a 4 KiB receive buffer): the relay must cut it
 * (1008) without the others' latency moving.
 * Prints "connected N" once every client is upgraded; on SIGTERM/SIGINT (or when every client
 * is closed) prints one JSON summary line and exits.
 */
#include "wsclient.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#define MAX_CLIENTS 8192
#define READ_BUFFER (256 << 10)
#define OUT_BUFFER (4 << 20)

struct client {
    int fd;
    int open;
    int close_code; /* -1: none received */
    int eof_without_close;
    int out_of_order;
    uint64_t last;
    uint64_t count;
    unsigned char *buf;
    size_t len;
};

static volatile sig_atomic_t stopping = 0;
static void on_signal(int sig) { (void)sig; stopping = 1; }

static inline void out_record(uint32_t client, uint64_t id, int64_t ns) {
    uint32_t head[2] = {client, 0};
    int64_t tail[2] = {(int64_t)id, ns};
    unsigned char record[24];
    memcpy(record, head, 8);
    memcpy(record + 8, tail, 16);
    out_append(record, 24);
}

static void connect_ws(const char *host, int port, const char *path, struct client *c) {
    c->buf = malloc(READ_BUFFER);
    if (!c->buf) die("malloc");
    c->fd = ws_connect("relay_load", host, port, path, "", c->buf, READ_BUFFER, &c->len);
    c->open = 1;
    c->close_code = -1;
}

static uint64_t frames = 0, reads = 0;

static void consume(struct client *c, uint32_t index, int sampled, int64_t ns) {
    size_t pos = 0, size;
    unsigned opcode;
    const unsigned char *payload;
    uint64_t length;
    while ((size = ws_frame(c->buf + pos, c->len - pos, &opcode, &payload, &length)) > 0) {
        if (opcode == 1) {
            frames++;
            uint64_t id = ws_update_id(payload, length);
            if (id) {
                if (id <= c->last) c->out_of_order = 1;
                c->last = id;
                c->count++;
                if (sampled) out_record(index, id, ns);
            }
        } else if (opcode == 8) {
            c->close_code = length >= 2 ? (payload[0] << 8 | payload[1]) : 1005;
        }
        pos += size;
    }
    if (pos > 0) {
        memmove(c->buf, c->buf + pos, c->len - pos);
        c->len -= pos;
    }
    if (c->len == READ_BUFFER) { fprintf(stderr, "relay_load: frame larger than %d bytes\n", READ_BUFFER); exit(1); }
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *path = "/ws/btcusdt@bookTicker", *out = NULL;
    int port = 0, count = 1, sample = 10, slow = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--host")) host = argv[i + 1];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--path")) path = argv[i + 1];
        else if (!strcmp(argv[i], "--clients")) count = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--sample")) sample = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--out")) out = argv[i + 1];
        else if (!strcmp(argv[i], "--slow")) slow = atoi(argv[i + 1]);
        else { fprintf(stderr, "relay_load: unknown option %s\n", argv[i]); return 2; }
    }
    if (!port || !out || count < 1 || count > MAX_CLIENTS || sample < 1) {
        fprintf(stderr, "usage: relay_load --port P --out FILE [--host H] [--path P] [--clients N] [--sample K]\n");
        return 2;
    }
    struct rlimit rl = {MAX_CLIENTS + 64, MAX_CLIENTS + 64};
    setrlimit(RLIMIT_NOFILE, &rl);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    out_open(out, "TTRELAY1", OUT_BUFFER);

    static struct client clients[MAX_CLIENTS];
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    for (int k = 0; k < count; k++) {
        connect_ws(host, port, path, &clients[k]);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, clients[k].fd, &ev) != 0) die("epoll_ctl");
        if (clients[k].len) consume(&clients[k], (uint32_t)k, k % sample == 0, realtime_ns());
    }
    if (slow) {
        /* Never read: the relay sees its socket fill and must close it. */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int small = 4096;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        struct sockaddr_in addr = {0};
        addr.sin_family = AF_INET;
        addr.sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &addr.sin_addr);
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect slow");
        char request[512];
        int n = snprintf(request, sizeof request,
                         "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                         path, host, port);
        if (write(fd, request, (size_t)n) != n) die("write slow upgrade");
    }
    printf("connected %d\n", count);
    fflush(stdout);

    int open_count = count;
    static struct epoll_event events[1024];
    while (!stopping && open_count > 0) {
        int n = epoll_wait(ep, events, 1024, 200);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        for (int e = 0; e < n; e++) {
            uint32_t k = events[e].data.u32;
            struct client *c = &clients[k];
            for (;;) {
                ssize_t r = read(c->fd, c->buf + c->len, READ_BUFFER - c->len);
                if (r > 0) {
                    int64_t ns = realtime_ns();
                    reads++;
                    c->len += (size_t)r;
                    consume(c, k, k % sample == 0, ns);
                    continue;
                }
                if (r < 0 && errno == EINTR) continue;
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->open = 0;
                if (c->close_code < 0) c->eof_without_close = 1;
                open_count--;
                break;
            }
        }
    }
    out_flush();
    close(out_fd);
    uint64_t min = UINT64_MAX, max = 0;
    int disorder = 0, eofs = 0, c1000 = 0, c1001 = 0, c1008 = 0, cother = 0, still_open = 0;
    for (int k = 0; k < count; k++) {
        struct client *c = &clients[k];
        if (c->count < min) min = c->count;
        if (c->count > max) max = c->count;
        disorder += c->out_of_order;
        eofs += c->eof_without_close;
        still_open += c->open;
        switch (c->close_code) {
        case -1: break;
        case 1000: c1000++; break;
        case 1001: c1001++; break;
        case 1008: c1008++; break;
        default: cother++; break;
        }
    }
    printf("{\"clients\":%d,\"frames\":%llu,\"reads\":%llu,\"min_per_client\":%llu,\"max_per_client\":%llu,"
           "\"out_of_order_clients\":%d,\"closed_1000\":%d,\"closed_1001\":%d,\"closed_1008\":%d,"
           "\"closed_other\":%d,\"eof_without_close\":%d,\"still_open\":%d}\n",
           count, (unsigned long long)frames, (unsigned long long)reads, (unsigned long long)min,
           (unsigned long long)max, disorder, c1000, c1001, c1008, cother, eofs, still_open);
    return 0;
}
