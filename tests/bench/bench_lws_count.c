/*
 * bench_lws_count — the framing floor: a libwebsockets client that connects
 * like upws does (same lws, same rx buffer size), sends one subscription
 * text, and only counts complete messages. It exits after --idle-ms
 * without data once data has flowed, printing
 *   frames=N first_ns=F last_ns=L
 * Usage: bench_lws_count PORT [--idle-ms MS]
 */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long frames;
static long long first_ns, last_ns;
static int done, idle_ms = 1500;

static long long wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    static const char sub[] = "[{\"ticket\":\"bench\"},{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\"]}]";
    (void)user, (void)in;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        unsigned char buf[LWS_PRE + sizeof sub];
        memcpy(buf + LWS_PRE, sub, sizeof sub - 1);
        return lws_write(wsi, buf + LWS_PRE, sizeof sub - 1, LWS_WRITE_TEXT) < 0 ? -1 : 0;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE:
        (void)len;
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
            return 0;
        last_ns = wall_ns();
        if (!frames++)
            first_ns = last_ns;
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        done = 1;
        return 0;
    default:
        return 0;
    }
}

/* lws_service() sleeps until something is due: a 100 ms tick lets the idle check run. */
static struct lws_context *context;
static lws_sorted_usec_list_t sul;

static void tick(lws_sorted_usec_list_t *s)
{
    lws_sul_schedule(context, 0, s, tick, 100000);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_lws_count PORT [--idle-ms MS]\n");
        return 2;
    }
    if (argc >= 4 && strcmp(argv[2], "--idle-ms") == 0)
        idle_ms = atoi(argv[3]);
    lws_set_log_level(LLL_ERR, NULL);
    /* The same receive buffer size as upws's upstream protocol. */
    static const struct lws_protocols protocols[] = {{"bench", callback, 0, 65536, 0, NULL, 0},
                                                     {NULL, NULL, 0, 0, 0, NULL, 0}};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    if (getenv("BENCH_PT_BUF"))
        info.pt_serv_buf_size = (unsigned)atoi(getenv("BENCH_PT_BUF"));
    struct lws_context *ctx = lws_create_context(&info);
    if (!ctx)
        return 1;
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = "127.0.0.1";
    ci.port = atoi(argv[1]);
    ci.path = "/websocket/v1";
    ci.host = "127.0.0.1";
    ci.protocol = NULL;
    ci.local_protocol_name = "bench";
    if (!lws_client_connect_via_info(&ci))
        return 1;
    context = ctx;
    tick(&sul);
    while (!done) {
        lws_service(ctx, 0);
        if (frames && wall_ns() - last_ns > (long long)idle_ms * 1000000)
            break;
    }
    lws_sul_cancel(&sul);
    lws_context_destroy(ctx);
    printf("frames=%llu first_ns=%lld last_ns=%lld\n", frames, first_ns, last_ns);
    return 0;
}
