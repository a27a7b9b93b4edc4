package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock the test moves by hand, so rate-limit tests do not
// depend on how fast the machine is.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) add(d time.Duration)     { c.t = c.t.Add(d) }
func addr(t *testing.T, s string) netip.Addr { t.Helper(); return netip.MustParseAddr(s) }

func TestSourceLimiterAllowsTheBurstThenRefusesUntilATokenIsBack(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	l := newSourceLimiters(2, 3, clock.now)
	a, b := addr(t, "203.0.113.7"), addr(t, "203.0.113.8")
	for i := range 3 {
		_, ok := l.allow(a)
		require.True(t, ok, "request %d of the burst", i+1)
	}
	wait, ok := l.allow(a)
	assert.False(t, ok, "over the burst")
	assert.Equal(t, 500*time.Millisecond, wait, "one token every 1/2 s")
	_, ok = l.allow(b)
	assert.True(t, ok, "another source has its own bucket")

	clock.add(500 * time.Millisecond)
	_, ok = l.allow(a)
	assert.True(t, ok, "a token is back")
	_, ok = l.allow(a)
	assert.False(t, ok, "and used")
}

func TestSourceLimiterCountsAnIPv6Slash64AsOneSource(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	l := newSourceLimiters(1, 1, clock.now)
	_, ok := l.allow(addr(t, "2001:db8:1:2::1"))
	require.True(t, ok)
	_, ok = l.allow(addr(t, "2001:db8:1:2:ffff::9"))
	assert.False(t, ok, "same /64")
	_, ok = l.allow(addr(t, "2001:db8:1:3::1"))
	assert.True(t, ok, "another /64")
}

func TestSourceLimiterOffAllowsEverything(t *testing.T) {
	l := newSourceLimiters(0, 0, time.Now)
	for range 1000 {
		_, ok := l.allow(addr(t, "203.0.113.7"))
		require.True(t, ok)
	}
	assert.Empty(t, l.buckets, "no state kept when off")
}

func TestSourceLimiterForgetsRefilledBuckets(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	l := newSourceLimiters(10, 5, clock.now)
	for i := range minSweep {
		_, ok := l.allow(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
		require.True(t, ok)
	}
	require.Len(t, l.buckets, minSweep)
	clock.add(time.Second) // every bucket has refilled (5 tokens at 10/s)
	_, ok := l.allow(addr(t, "192.0.2.1"))
	require.True(t, ok)
	assert.Len(t, l.buckets, 1, "only the new source is remembered")
}

func TestWebhookSourceBelievesForwardedForOnlyFromTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		name, peer, xff string
		proxies         []netip.Prefix
		want            string
		known           bool
	}{
		{"no proxies: the peer, header ignored", "198.51.100.1:5000", "31.133.220.8", nil, "198.51.100.1", true},
		{"untrusted peer: header ignored", "198.51.100.1:5000", "31.133.220.8", trusted, "198.51.100.1", true},
		{"trusted proxy: the client it names", "10.1.2.3:5000", "31.133.220.8", trusted, "31.133.220.8", true},
		{"trusted proxy without header: the proxy", "10.1.2.3:5000", "", trusted, "10.1.2.3", true},
		{"a chain: the nearest untrusted hop", "10.1.2.3:5000", "6.6.6.6, 31.133.220.8, 10.9.9.9", trusted, "31.133.220.8", true},
		{"spoofed leftmost entries do not count", "10.1.2.3:5000", "31.133.220.8, 6.6.6.6", trusted, "6.6.6.6", true},
		{"several header lines", "10.1.2.3:5000", "31.133.220.8\n10.2.2.2", trusted, "31.133.220.8", true},
		{"entry with a port", "10.1.2.3:5000", "31.133.220.8:443", trusted, "31.133.220.8", true},
		{"garbage entry: unknown", "10.1.2.3:5000", "31.133.220.8, not-an-ip", trusted, "10.1.2.3", false},
		{"IPv6 loopback proxy", "[::1]:5000", "2001:db8::7", trusted, "2001:db8::7", true},
		{"IPv4-mapped peer", "[::ffff:198.51.100.1]:5000", "", nil, "198.51.100.1", true},
		{"unreadable peer", "@pipe", "", trusted, "invalid IP", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/payouts/webhook", nil)
			r.RemoteAddr = c.peer
			for _, line := range strings.Split(c.xff, "\n") {
				if line != "" {
					r.Header.Add("X-Forwarded-For", line)
				}
			}
			src, known := WebhookGuard{TrustedProxies: c.proxies}.source(r)
			assert.Equal(t, c.want, src.String())
			assert.Equal(t, c.known, known)
		})
	}
}

// guarded serves the webhook route's guard in front of a handler that
// counts what got through.
func guarded(g WebhookGuard, clock *fakeClock) (http.Handler, *int) {
	s := &server{Deps: Deps{WebhookGuard: g}, log: slog.New(slog.DiscardHandler)}
	passed := new(int)
	mw := s.guardWebhook()
	if clock != nil {
		mw = s.webhookGate(g, newSourceLimiters(g.Rate, g.Burst, clock.now))
	}
	return mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { *passed++ })), passed
}

func TestAllowListRefusesOtherSourcesWith403BeforeTheBody(t *testing.T) {
	h, passed := guarded(WebhookGuard{AllowedSources: []netip.Prefix{netip.MustParsePrefix("31.133.220.8/32")}}, nil)
	for _, c := range []struct {
		peer string
		want int
	}{{"31.133.220.8:4000", http.StatusOK}, {"31.133.220.9:4000", http.StatusForbidden}, {"@pipe", http.StatusForbidden}} {
		r := httptest.NewRequest(http.MethodPost, "/payouts/webhook", strings.NewReader("{}"))
		r.RemoteAddr = c.peer
		r.Header.Set("X-Forwarded-For", "31.133.220.8") // no trusted proxy: ignored
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, c.want, w.Code, c.peer)
		if c.want != http.StatusOK {
			assert.Contains(t, w.Body.String(), `"error":"webhooks are not accepted from this address"`)
		}
	}
	assert.Equal(t, 1, *passed)
}

func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	h, passed := guarded(WebhookGuard{Rate: 0.25, Burst: 2}, clock)
	codes := make([]int, 0, 3)
	var last *httptest.ResponseRecorder
	for range 3 {
		r := httptest.NewRequest(http.MethodPost, "/payouts/webhook", strings.NewReader("{}"))
		last = httptest.NewRecorder()
		h.ServeHTTP(last, r)
		codes = append(codes, last.Code)
	}
	assert.Equal(t, []int{200, 200, 429}, codes)
	assert.Equal(t, "4", last.Header().Get("Retry-After"), "one token every 4 s")
	assert.Contains(t, last.Body.String(), "too many webhooks")
	assert.Equal(t, 2, *passed)
}

func TestDuplicateKeyFindsRepeatsAtAnyDepth(t *testing.T) {
	none := "(none)"
	for in, want := range map[string]string{
		`{"a":1,"b":2}`:                       none,
		`{"a":1,"a":2}`:                       "a",
		`{"a":{"b":1,"b":2}}`:                 "b",
		`[{"a":1},{"a":2}]`:                   none,
		`[{"a":1,"x":[{"k":1,"k":2}]}]`:       "k",
		`{"a":[1,{"a":1}],"b":{"a":{"a":1}}}`: none,
		`{"a":"x","\u0061":"y"}`:              "a",
		`{"":1,"":2}`:                         "",
		`"a"`:                                 none,
		`{"a":{},"a":[]}`:                     "a",
	} {
		got, found, err := duplicateKey([]byte(in))
		require.NoError(t, err, in)
		if !found {
			got = none
		}
		assert.Equal(t, want, got, in)
	}
	_, _, err := duplicateKey([]byte(strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)))
	assert.ErrorContains(t, err, "nested more than")
}

func TestStrictJSONExplainsEachRefusal(t *testing.T) {
	for in, want := range map[string]string{
		`{"asset":"USDT","asset":"BTC"}`: `key "asset" appears more than once`,
		`{"amount":100}`:                 "amount must be a string, not number",
		`{"asset":"USDT"}}`:              "more than one JSON value",
		`{"asset":"USDT"} {}`:            "more than one JSON value",
		`{"adress":"x"}`:                 `unknown field "adress"`,
		`{"asset":`:                      "unexpected EOF",
		``:                               "EOF",
	} {
		var body createRequest
		assert.Contains(t, strictJSON([]byte(in), &body), want, in)
	}
	var body createRequest
	assert.Empty(t, strictJSON([]byte(" {\"asset\":\"USDT\"}\n"), &body))
}

func TestIsJSONIgnoresCaseAndParameters(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json": true, "Application/JSON; charset=utf-8": true, " application/json ;x=y": true,
		"text/plain": false, "application/jsonx": false, "application/json-patch+json": false,
	} {
		assert.Equal(t, want, isJSON(ct), ct)
	}
}

func TestQueryProblemRefusesWhatQueryWouldSilentlyDrop(t *testing.T) {
	for raw, bad := range map[string]bool{
		"": false, "status=paid&limit=5": false, "client_id=%E2%9C%93": false,
		"status=%zz": true, "a=1;b=2": true, "client_id=%00": true, "x=%FF": true, "%0a=1": true,
	} {
		assert.Equal(t, bad, queryProblem(raw) != "", raw)
	}
}

func TestByteSize(t *testing.T) {
	assert.Equal(t, "64 KiB", byteSize(64<<10))
	assert.Equal(t, "8 MiB", byteSize(8<<20))
	assert.Equal(t, "1000 bytes", byteSize(1000))
	assert.Equal(t, fmt.Sprint(maxBody>>10)+" KiB", byteSize(maxBody))
}
