package httpapi

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/heleket-payouts/payouts/metrics"
)

// WebhookGuard screens POST /payouts/webhook before its body is read. It
// only ever adds refusals: Heleket's `sign` (and the optional relay HMAC)
// stays the authentication of every webhook that gets through.
type WebhookGuard struct {
	// AllowedSources, when not empty, are the only addresses whose
	// webhooks are read; others get 403. Heleket documents 31.133.220.8
	// as its source, but an address is not an identity, so this is a
	// second fence, never the check itself.
	AllowedSources []netip.Prefix
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed. Without any, the header is ignored: anyone can write it.
	TrustedProxies []netip.Prefix
	// Rate is the webhooks per second accepted from one source address
	// (an IPv6 /64 counts as one), with Burst in hand; 0 turns the limit
	// off. Heleket retries a 429 later, so the limit costs a legitimate
	// sender only a delay.
	Rate  float64
	Burst int
}

// guardWebhook returns the middleware for the webhook route; it holds the
// route's rate limiters, so New calls it once.
func (s *server) guardWebhook() func(http.Handler) http.Handler {
	g := s.WebhookGuard
	return s.webhookGate(g, newSourceLimiters(g.Rate, g.Burst, time.Now))
}

func (s *server) webhookGate(g WebhookGuard, limiters *sourceLimiters) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			src, known := g.source(r)
			if len(g.AllowedSources) > 0 && (!known || !contains(g.AllowedSources, src)) {
				s.log.WarnContext(r.Context(), "webhook refused: source not in WEBHOOK_ALLOWED_IPS", "source_ip", src.String())
				metrics.WebhookReceived(metrics.WebhookSourceRefused)
				writeError(w, http.StatusForbidden, "webhooks are not accepted from this address", nil)
				return
			}
			if wait, ok := limiters.allow(src); !ok {
				metrics.WebhookReceived(metrics.WebhookRateLimited)
				secs := strconv.Itoa(int(math.Ceil(wait.Seconds())))
				w.Header().Set("Retry-After", secs)
				writeError(w, http.StatusTooManyRequests, "too many webhooks from this address; retry after "+secs+" s", nil)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// source is the address a request comes from: the peer, or, when the peer
// is a trusted proxy, the nearest address in X-Forwarded-For that is not a
// trusted proxy itself. known is false when that address cannot be read;
// src is then the peer, which still serves as a rate-limit key.
func (g WebhookGuard) source(r *http.Request) (src netip.Addr, known bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	src = peer.Addr().Unmap()
	if !contains(g.TrustedProxies, src) {
		return src, true
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" && len(hops) == 1 {
			break // no header: the proxy is the source
		}
		addr, ok := parseHop(hop)
		if !ok {
			// Whatever wrote this, it was not a proxy we trust, and
			// nothing left of it can be believed.
			return src, false
		}
		src = addr
		if !contains(g.TrustedProxies, addr) {
			break
		}
	}
	return src, true
}

// parseHop reads one X-Forwarded-For entry: an address, or an address with
// a port as some proxies write it.
func parseHop(hop string) (netip.Addr, bool) {
	if addr, err := netip.ParseAddr(hop); err == nil {
		return addr.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func contains(prefixes []netip.Prefix, addr netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// sourceLimiters keeps one token bucket per source.
type sourceLimiters struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	now     func() time.Time
	buckets map[netip.Prefix]*rate.Limiter
	sweepAt int
}

// minSweep is the number of buckets below which none is forgotten.
const minSweep = 1024

func newSourceLimiters(perSecond float64, burst int, now func() time.Time) *sourceLimiters {
	return &sourceLimiters{limit: rate.Limit(perSecond), burst: burst, now: now,
		buckets: map[netip.Prefix]*rate.Limiter{}, sweepAt: minSweep}
}

// allow takes a token from the source's bucket, or says how long until
// one is there.
func (l *sourceLimiters) allow(src netip.Addr) (time.Duration, bool) {
	if l.limit <= 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	key := sourceKey(src)
	b := l.buckets[key]
	if b == nil {
		l.sweep(now)
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[key] = b
	}
	res := b.ReserveN(now, 1)
	if !res.OK() {
		return time.Second, false
	}
	if wait := res.DelayFrom(now); wait > 0 {
		res.CancelAt(now)
		return wait, false
	}
	return 0, true
}

// sweep forgets buckets that have filled up again: a full bucket behaves
// exactly like a new one, so memory stays bounded by the sources active
// in the last burst/rate seconds, whatever the number of addresses seen.
func (l *sourceLimiters) sweep(now time.Time) {
	if len(l.buckets) < l.sweepAt {
		return
	}
	for key, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, key)
		}
	}
	l.sweepAt = max(minSweep, 2*len(l.buckets))
}

// sourceKey is the bucket of an address: the address itself for IPv4, its
// /64 for IPv6, where one host commonly holds the whole /64.
func sourceKey(a netip.Addr) netip.Prefix {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64) // cannot fail for a valid IPv6 address and 64
		return p
	}
	p, _ := a.Prefix(a.BitLen())
	return p
}
