/* test_chart_candles.c — unit tests of chart_feeder's candle building:
 * UTC bucket boundaries, out-of-order and duplicate trades, gaps (no fake
 * candles unless fill_gaps), exact volume sums, and the JSON the page gets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "chart_candles.h"
#include "chart_proto.h"

static int failures, checks;

#define CHECK(cond) do { checks++; if (!(cond)) { failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); checks++; \
    if (!a_ || strcmp(a_, b_) != 0) { failures++; \
    fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_ ? a_ : "(null)", b_); } } while (0)

/* 2024-03-09T12:00:00Z in ms: a Saturday, not a round number of anything. */
#define T0 1709985600000LL

static cc_dec dec(const char *s)
{
    cc_dec d = {-1, -1};
    if (cc_dec_parse(s, strlen(s), &d) < 0)
        fprintf(stderr, "cannot parse %s\n", s);
    return d;
}

static cc_trade trade(int64_t ts, int64_t seq, double price, const char *vol)
{
    cc_trade t = {ts, seq, price, dec(vol)};
    return t;
}

static const char *dec_text(cc_dec d)
{
    static char buf[64];
    cc_dec_format(d, buf, sizeof buf);
    return buf;
}

static void test_dec_parse(void)
{
    cc_dec d;
    CHECK(cc_dec_parse("0.0055433", 9, &d) == 0 && d.whole == 0 && d.frac == 5543300000LL);
    CHECK(cc_dec_parse("1.16539E8", 9, &d) == 0 && d.whole == 116539000 && d.frac == 0);
    CHECK(cc_dec_parse("7.9276E-4", 9, &d) == 0 && d.whole == 0 && d.frac == 792760000LL);
    CHECK(cc_dec_parse("12", 2, &d) == 0 && d.whole == 12 && d.frac == 0);
    CHECK(cc_dec_parse("100473000.00000000", 18, &d) == 0 && d.whole == 100473000 && d.frac == 0);
    CHECK(cc_dec_parse("1e-12", 5, &d) == 0 && d.whole == 0 && d.frac == 1);
    CHECK(cc_dec_parse("1.5e-13", 7, &d) == 1 && d.frac == 0);      /* rounded away, reported */
    CHECK(cc_dec_parse("0.0000000000005", 15, &d) == 1 && d.frac == 1); /* half rounds up */
    CHECK(cc_dec_parse("-1", 2, &d) < 0);
    CHECK(cc_dec_parse("", 0, &d) < 0);
    CHECK(cc_dec_parse("1.2.3", 5, &d) < 0);
    CHECK(cc_dec_parse("1e", 2, &d) < 0);
    CHECK(cc_dec_parse("1e30", 4, &d) < 0);
    CHECK(cc_dec_parse("0e99999", 7, &d) == 0 && d.whole == 0);
    CHECK_STR(dec_text(dec("0.30000000")), "0.3");
    CHECK_STR(dec_text(dec("1.00000001")), "1.00000001");
    CHECK_STR(dec_text(dec("42")), "42");
}

static void test_intervals(void)
{
    int64_t ms;
    char label[16];
    CHECK(cc_interval_parse("1s", &ms) == 0 && ms == 1000);
    CHECK(cc_interval_parse("15m", &ms) == 0 && ms == 900000);
    CHECK(cc_interval_parse("1h", &ms) == 0 && ms == 3600000);
    CHECK(cc_interval_parse("60m", &ms) == 0 && ms == 3600000);
    CHECK(cc_interval_parse("1d", &ms) == 0 && ms == 86400000);
    CHECK(cc_interval_parse("7m", &ms) != 0);   /* does not divide a day */
    CHECK(cc_interval_parse("2d", &ms) != 0);
    CHECK(cc_interval_parse("0s", &ms) != 0);
    CHECK(cc_interval_parse("1x", &ms) != 0);
    CHECK(cc_interval_parse("m", &ms) != 0);
    CHECK(cc_interval_parse("1mm", &ms) != 0);
    cc_interval_label(3600000, label, sizeof label);
    CHECK_STR(label, "1h");
    cc_interval_label(90000, label, sizeof label);
    CHECK_STR(label, "90s");
    cc_interval_label(900000, label, sizeof label);
    CHECK_STR(label, "15m");
}

/* Buckets start on UTC boundaries: 12:00:59.999 is still the 12:00 minute,
 * 12:01:00.000 opens the next; an hour runs from :00:00.000. */
static void test_boundaries(void)
{
    CHECK(cc_bucket(T0 + 59999, 60000) == T0);
    CHECK(cc_bucket(T0 + 60000, 60000) == T0 + 60000);
    CHECK(cc_bucket(T0 + 3599999, 3600000) == T0);
    CHECK(cc_bucket(T0 + 3600000, 3600000) == T0 + 3600000);
    CHECK(cc_bucket(T0 - 1, 3600000) == T0 - 3600000);
    CHECK(cc_bucket(T0 + 999, 1000) == T0 && cc_bucket(T0 + 1000, 1000) == T0 + 1000);
    CHECK(cc_bucket(-1, 60000) == -60000); /* floor, not truncation */
    CHECK(cc_bucket(T0 + 12345678, 86400000) == T0 - 12 * 3600000LL); /* UTC midnight */

    cc_series m, h;
    cc_series_init(&m, 60000, 10);
    cc_series_init(&h, 3600000, 10);
    cc_trade a = trade(T0 + 59999, 1, 100, "1"), b = trade(T0 + 60000, 2, 101, "2");
    CHECK(cc_series_add(&m, &a, 0) == CC_NEW);
    CHECK(cc_series_add(&m, &b, 0) == CC_NEW);
    CHECK(m.len == 2 && cc_series_at(&m, 0)->start_ms == T0 && cc_series_at(&m, 1)->start_ms == T0 + 60000);
    CHECK(cc_series_at(&m, 0)->close == 100 && cc_series_at(&m, 1)->open == 101);
    CHECK(cc_series_add(&h, &a, 0) == CC_NEW && cc_series_add(&h, &b, 0) == CC_UPDATED);
    cc_trade c = trade(T0 + 3600000, 3, 99, "1");
    CHECK(cc_series_add(&h, &c, 0) == CC_NEW);
    CHECK(h.len == 2 && cc_series_at(&h, 0)->open == 100 && cc_series_at(&h, 0)->close == 101);
    CHECK(cc_series_at(&h, 0)->high == 101 && cc_series_at(&h, 0)->low == 100);
    CHECK_STR(dec_text(cc_series_at(&h, 0)->volume), "3");
    cc_series_free(&m);
    cc_series_free(&h);
}

/* A late trade lands in its own candle: before the open it becomes the open,
 * it never moves the close of a later-stamped trade, and it widens high/low. */
static void test_out_of_order(void)
{
    cc_series s;
    cc_series_init(&s, 60000, 3);
    cc_trade t1 = trade(T0 + 10000, 10, 100, "1");
    cc_trade t2 = trade(T0 + 30000, 12, 105, "1");
    cc_trade t3 = trade(T0 + 70000, 13, 104, "1");
    cc_trade late = trade(T0 + 5000, 9, 90, "0.5");       /* earliest of minute 0 */
    cc_trade mid = trade(T0 + 20000, 11, 110, "0.25");    /* between open and close */
    cc_series_add(&s, &t1, 0);
    cc_series_add(&s, &t2, 0);
    cc_series_add(&s, &t3, 0);
    uint64_t rev = s.rev;
    CHECK(cc_series_add(&s, &late, 0) == CC_LATE);
    CHECK(cc_series_add(&s, &mid, 0) == CC_LATE);
    const cc_candle *c0 = cc_series_at(&s, 0);
    CHECK(c0->open == 90 && c0->close == 105 && c0->high == 110 && c0->low == 90);
    CHECK(c0->n_trades == 4 && c0->rev > rev);
    CHECK_STR(dec_text(c0->volume), "2.75");
    CHECK(cc_series_last(&s)->close == 104 && cc_series_last(&s)->rev == rev);

    /* Same millisecond: sequential_id orders them. */
    cc_trade same_a = trade(T0 + 70000, 15, 200, "1"), same_b = trade(T0 + 70000, 14, 201, "1");
    cc_series_add(&s, &same_a, 0);
    cc_series_add(&s, &same_b, 0);
    CHECK(cc_series_last(&s)->close == 200);

    /* A missing bucket between kept candles is inserted in place. */
    cc_trade gap = trade(T0 + 200000, 20, 300, "1"); /* minute 3 */
    cc_trade fill = trade(T0 + 130000, 19, 250, "1"); /* minute 2, arrives late */
    cc_series_add(&s, &gap, 0);
    CHECK(s.len == 3 && cc_series_at(&s, 0)->start_ms == T0);
    CHECK(cc_series_add(&s, &fill, 0) == CC_LATE); /* the full series lets minute 0 go */
    CHECK(s.len == 3 && cc_series_at(&s, 0)->start_ms == T0 + 60000 &&
          cc_series_at(&s, 1)->start_ms == T0 + 120000 && cc_series_at(&s, 2)->start_ms == T0 + 180000);

    /* Older than every kept candle of a full series: dropped and counted. */
    cc_trade ancient = trade(T0 + 1000, 8, 1, "1");
    uint64_t before = s.rev;
    CHECK(cc_series_add(&s, &ancient, 0) == CC_TOO_OLD);
    CHECK(s.n_too_old == 1 && s.rev == before && s.len == 3);
    cc_series_free(&s);
}

static void test_duplicates(void)
{
    const char *codes[] = {"KRW-BTC", "KRW-ETH"};
    int64_t ivs[] = {1000, 60000};
    cc_book b;
    CHECK(cc_book_init(&b, codes, 2, ivs, 2, 100, 0) == 0);
    cc_trade t = trade(T0, 1000, 50, "0.1");
    CHECK(cc_book_trade(&b, 0, &t) == 0);
    CHECK(cc_book_trade(&b, 0, &t) == 1);
    CHECK(cc_book_trade(&b, 1, &t) == 0); /* ids are per code */
    CHECK(b.markets[0].n_dups == 1 && b.markets[0].n_trades == 1);
    CHECK_STR(dec_text(b.markets[0].series[1].ring[0].volume), "0.1");

    /* Ids stay recognised for CC_SEEN_CAP trades, then are forgotten. */
    for (int64_t i = 1; i < CC_SEEN_CAP; i++) {
        cc_trade u = trade(T0 + i, 1000 + i, 50, "0.1");
        cc_book_trade(&b, 0, &u);
    }
    CHECK(cc_book_trade(&b, 0, &t) == 1);
    cc_trade v = trade(T0 + CC_SEEN_CAP, 1000 + CC_SEEN_CAP, 50, "0.1");
    cc_book_trade(&b, 0, &v);
    CHECK(cc_book_trade(&b, 0, &t) == 0); /* evicted: counted again (the host dedupes too) */
    CHECK(b.markets[0].last_seq == 1000 + CC_SEEN_CAP && b.markets[0].last_price == 50);

    /* The last trade is the newest by time, not the latest to arrive. */
    cc_trade older = trade(T0 + 5, 1, 77, "1");
    cc_book_trade(&b, 0, &older);
    CHECK(b.markets[0].last_seq == 1000 + CC_SEEN_CAP);
    CHECK(cc_book_market(&b, "KRW-ETH") == 1 && cc_book_market(&b, "KRW-XRP") == -1);
    CHECK(cc_book_interval(&b, 60000) == 1 && cc_book_interval(&b, 5000) == -1);
    cc_book_free(&b);
}

/* The dedupe set under heavy churn: every id inserted is found until it is
 * evicted, whatever the probe chains look like after many deletions. */
static void test_seen_churn(void)
{
    cc_seen s;
    cc_seen_init(&s);
    int ok = 1;
    for (int64_t i = 0; i < 10 * CC_SEEN_CAP; i++) {
        int64_t id = i * 7919 + (i % 3) * 1000003LL; /* distinct, clustered */
        if (cc_seen_add(&s, id) != 0)
            ok = 0;
        if (i >= 1) {
            int64_t prev = (i - 1) * 7919 + ((i - 1) % 3) * 1000003LL;
            if (cc_seen_add(&s, prev) != 1)
                ok = 0;
        }
    }
    CHECK(ok);
    CHECK(s.n == CC_SEEN_CAP);
    cc_seen_free(&s);
}

/* No trades, no candle; fill_gaps makes flat candles at the previous close. */
static void test_gaps(void)
{
    cc_series s, f;
    cc_series_init(&s, 60000, 100);
    cc_series_init(&f, 60000, 100);
    cc_trade a = trade(T0 + 1000, 1, 100, "1"), b = trade(T0 + 4 * 60000 + 1, 2, 120, "2");
    cc_series_add(&s, &a, 0);
    cc_series_add(&s, &b, 0);
    CHECK(s.len == 2 && cc_series_at(&s, 1)->start_ms == T0 + 4 * 60000);
    const char *codes[] = {"KRW-BTC"};
    int64_t ivs[] = {60000};
    cc_book bk;
    cc_book_init(&bk, codes, 1, ivs, 1, 100, 0);
    cc_book_trade(&bk, 0, &a);
    CHECK(cc_book_roll(&bk, T0 + 10 * 60000) == 0 && bk.markets[0].series[0].len == 1);
    cc_book_free(&bk);

    cc_series_add(&f, &a, 1);
    cc_series_add(&f, &b, 1);
    CHECK(f.len == 5);
    for (size_t i = 1; i < 4; i++) {
        const cc_candle *c = cc_series_at(&f, i);
        CHECK(c->n_trades == 0 && c->open == 100 && c->close == 100 && c->high == 100);
        CHECK(c->start_ms == T0 + (int64_t)i * 60000 && c->volume.whole == 0 && c->volume.frac == 0);
    }
    /* A late trade into a flat candle makes it real and carries its close on. */
    cc_trade late = trade(T0 + 2 * 60000 + 5, 3, 90, "1");
    CHECK(cc_series_add(&f, &late, 1) == CC_LATE);
    CHECK(cc_series_at(&f, 2)->n_trades == 1 && cc_series_at(&f, 2)->open == 90);
    CHECK(cc_series_at(&f, 3)->close == 90 && cc_series_at(&f, 3)->n_trades == 0);
    CHECK(cc_series_at(&f, 1)->close == 100);
    /* The timer rolls the chart forward while nothing trades. */
    CHECK(cc_series_roll(&f, T0 + 6 * 60000 + 30000) == 2);
    CHECK(f.len == 7 && cc_series_last(&f)->start_ms == T0 + 6 * 60000 && cc_series_last(&f)->close == 120);
    CHECK(cc_series_roll(&f, T0 + 6 * 60000 + 59999) == 0);
    /* A long silence fills at most the history, never more. */
    CHECK(cc_series_roll(&f, T0 + 100000LL * 60000) == 100 && f.len == 100);
    cc_series_free(&s);
    cc_series_free(&f);
}

/* 100 000 trades of 0.00000001 sum to exactly 0.001; 0.1 ten times is 1
 * (as doubles: 0.9999999999999999). */
static void test_volume_exact(void)
{
    cc_series s;
    cc_series_init(&s, 3600000, 10);
    for (int64_t i = 0; i < 100000; i++) {
        cc_trade t = trade(T0 + i % 3600000, i, 1, "0.00000001");
        cc_series_add(&s, &t, 0);
    }
    CHECK_STR(dec_text(cc_series_last(&s)->volume), "0.001");
    for (int64_t i = 0; i < 10; i++) {
        cc_trade t = trade(T0 + 3600000 + i, 200000 + i, 1, "0.1");
        cc_series_add(&s, &t, 0);
    }
    CHECK_STR(dec_text(cc_series_last(&s)->volume), "1");
    double d = 0;
    for (int i = 0; i < 10; i++)
        d += 0.1;
    CHECK(d != 1.0); /* why the decimal sum exists */
    cc_dec big = dec("123456789.123456789012"), sum = {0, 0};
    for (int i = 0; i < 1000; i++)
        cc_dec_add(&sum, big);
    CHECK_STR(dec_text(sum), "123456789123.456789012");
    CHECK(cc_dec_cmp(dec("0.1"), dec("0.10000")) == 0 && cc_dec_cmp(dec("1"), dec("0.99999999")) > 0);
    cc_series_free(&s);
}

/* The messages parse as JSON and carry what the page needs. */
static void test_proto(void)
{
    const char *codes[] = {"KRW-BTC"};
    int64_t ivs[] = {60000, 3600000};
    cp_shared sh;
    memset(&sh, 0, sizeof sh);
    cc_book_init(&sh.book, codes, 1, ivs, 2, 50, 0);
    sh.conn = CP_LIVE;
    sh.conn_since_ms = T0;
    cc_trade a = trade(T0 + 1, 9007199254740993LL, 100473000, "0.1"),
             b = trade(T0 + 60001, 9007199254740995LL, 0.1, "0.2");
    cc_book_trade(&sh.book, 0, &a);
    uint64_t rev = sh.book.markets[0].series[0].rev;
    cc_book_trade(&sh.book, 0, &b);

    cp_buf buf;
    cp_buf_init(&buf, 16);
    json_error_t err;
    cp_hello(&buf, &sh);
    json_t *j = json_loads(cp_buf_text(&buf), 0, &err);
    CHECK(j && json_array_size(json_object_get(j, "intervals")) == 2);
    CHECK_STR(json_string_value(json_array_get(json_object_get(j, "intervals"), 1)), "1h");
    CHECK_STR(json_string_value(json_object_get(json_object_get(j, "conn"), "state")), "live");
    json_decref(j);

    cp_history(&buf, &sh, 0, 0);
    j = json_loads(cp_buf_text(&buf), 0, &err);
    json_t *candles = json_object_get(j, "candles");
    CHECK(j && json_array_size(candles) == 2);
    json_t *c0 = json_array_get(candles, 0);
    CHECK(json_integer_value(json_array_get(c0, 0)) == T0 / 1000);
    CHECK(json_number_value(json_array_get(c0, 4)) == 100473000);
    CHECK_STR(json_string_value(json_object_get(json_object_get(j, "last"), "seq")), "9007199254740995");
    CHECK(json_number_value(json_object_get(json_object_get(j, "last"), "price")) == 0.1);
    json_decref(j);
    CHECK(strstr(cp_buf_text(&buf), ",0.1,0.1,0.1,0.1,0.2,1]") != NULL); /* shortest numbers */

    CHECK(cp_update(&buf, &sh, 0, 0, rev) == 1);
    j = json_loads(cp_buf_text(&buf), 0, &err);
    CHECK(j && json_array_size(json_object_get(j, "candles")) == 1);
    CHECK_STR(json_string_value(json_object_get(j, "type")), "update");
    json_decref(j);
    CHECK(cp_update(&buf, &sh, 0, 0, sh.book.markets[0].series[0].rev) == 0);

    cp_num(&buf, 0.30000000000000004);
    CHECK(strstr(cp_buf_text(&buf), "0.30000000000000004") != NULL);
    cp_buf_free(&buf);
    cc_book_free(&sh.book);
}

int main(void)
{
    test_dec_parse();
    test_intervals();
    test_boundaries();
    test_out_of_order();
    test_duplicates();
    test_seen_churn();
    test_gaps();
    test_volume_exact();
    test_proto();
    fprintf(stderr, "%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
