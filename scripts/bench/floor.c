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
#include "wsclient.h"

#include <signal.h>
#include <sys/epoll.h>

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

static inline void out_record(uint64_t id, int64_t ns) {
    int64_t record[2] = {(int64_t)id, ns};
    out_append(record, 16);
}

static void connect_ws(const char *host, int port, const char *path, int index, struct connection *c) {
    char agent[64];
    snprintf(agent, sizeof agent, "User-Agent: ticktape-floor conn/%d\r\n", index);
    c->buf = malloc(READ_BUFFER);
    if (!c->buf) die("malloc");
    c->fd = ws_connect("floor", host, port, path, agent, c->buf, READ_BUFFER, &c->len);
    c->open = 1;
}

static uint64_t highest = 0, firsts = 0, copies = 0, frames = 0, reads = 0, no_id = 0;

/* Consumes every complete frame in c->buf, all stamped `ns` (the read that completed them). */
static void consume(struct connection *c, int64_t ns) {
    size_t pos = 0, size;
    unsigned opcode;
    const unsigned char *payload;
    uint64_t length;
    while ((size = ws_frame(c->buf + pos, c->len - pos, &opcode, &payload, &length)) > 0) {
        frames++;
        if (opcode == 1) {
            uint64_t id = ws_update_id(payload, length);
            if (id == 0) {
                no_id++;
            } else if (id > highest) {
                highest = id;
                firsts++;
                out_record(id, ns);
            } else {
                copies++;
            }
        } else if (opcode == 8) {
            c->open = 0;
        }
        pos += size;
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
    out_open(out, "TTFLOOR1", OUT_BUFFER);

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
