package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
)

const fuzzTron = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"

// createRoute routes a request the way the API does, so chi fills in
// client_id, and hands it to readCreate and then to the payout gate's
// rules, as the create use case does: no database, no Temporal.
func createRoute(g *gate.Gate, got func(payout.Valid, int, apiError)) http.Handler {
	r := chi.NewRouter()
	r.Post("/clients/{client_id}/payout", func(w http.ResponseWriter, r *http.Request) {
		req, status, refusal := readCreate(w, r)
		got(validated(g, req, status, refusal))
	})
	return limitBodies(r)
}

// validated is a decoded request checked by the gate, with the refusal the
// API would answer.
func validated(g *gate.Gate, req payout.Request, status int, refusal apiError) (payout.Valid, int, apiError) {
	if status != 0 {
		return payout.Valid{}, status, refusal
	}
	v, r := g.Validate(req)
	if r != nil {
		return payout.Valid{}, http.StatusUnprocessableEntity, createRefusal(&usecase.InvalidError{Message: r.Message, Fields: r.Fields})
	}
	return v, 0, apiError{}
}

func FuzzReadCreate(f *testing.F) {
	valid := `{"asset":"USDT","network":"tron","amount":"100.50","address":"` + fuzzTron + `"}`
	seeds := []struct{ client, key, ct, body string }{
		{"42", "k1", "application/json", valid},
		{"42", "k1", "", `{"asset":"usdt","network":" TRON ","amount":" 1.5 ","address":"` + fuzzTron + `","origin":"BONUS"}`},
		{"42", "k1", "application/json", `{"asset":"TON","network":"ton","amount":"1","address":"EQD4FPq-PRDieyQKkizFTRtSDyucUIqrj0v_zXJmqaDp6_0t","memo":"hi"}`},
		{"42'; DROP TABLE payouts;--", "k", "application/json", valid},
		{"42", "", "application/json", valid},
		{"42", "k\x00", "application/json", valid},
		{"42", "k", "text/plain", valid},
		{"42", "k", "application/json", `{"asset":"USDT","asset":"BTC","network":"tron","amount":"1","address":"` + fuzzTron + `"}`},
		{"42", "k", "application/json", `{"asset":"USDT","network":"tron","amount":100,"address":"` + fuzzTron + `"}`},
		{"42", "k", "application/json", `{"asset":"USDT","network":"tron","amount":"1e3","address":"` + fuzzTron + `"}`},
		{"42", "k", "application/json", `{"asset":"USDT","network":"tron","amount":"-1","address":"` + fuzzTron + `"}`},
		{"42", "k", "application/json", `{"asset":"USDT","network":"tron","amount":"1234567890123456789012345678901234567890","address":"` + fuzzTron + `"}`},
		{"42", "k", "application/json", `{"asset":"USDT","network":"eth","amount":"1","address":"` + fuzzTron + `"}`},
		{"42", "k", "application/json", `{"asset":"USDT","network":"tron","amount":"1","address":"` + fuzzTron + `","memo":"\u0000"}`},
		{"42", "k", "application/json", `{"unknown":1}`},
		{"42", "k", "application/json", `{"asset":"USDT"}{}`},
		{"42", "k", "application/json", `{"asset":"USDT"`},
		{"42", "k", "application/json", `[]`},
		{"42", "k", "application/json", `null`},
		{"42", "k", "application/json", "{\"asset\":\"US\x00DT\"}"},
		{"42", "k", "application/json", "{\"asset\":\"\xff\"}"},
		{"", "k", "application/json", valid},
	}
	for _, s := range seeds {
		f.Add(s.client, s.key, s.ct, []byte(s.body))
	}
	lim := payout.Limits{DefaultMax: decimal.NewFromInt(100000)}
	g := &gate.Gate{Policy: gate.Policy{Limits: lim}}
	f.Fuzz(func(t *testing.T, client, key, ct string, body []byte) {
		if !validHeader(key) || !validHeader(ct) {
			return // net/http would refuse these before any handler
		}
		called := false
		h := createRoute(g, func(v payout.Valid, status int, refusal apiError) {
			called = true
			checkCreate(t, lim, client, key, body, v, status, refusal)
		})
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.URL.Path, req.URL.RawPath = "/clients/"+client+"/payout", ""
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("Idempotency-Key", key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !called && w.Code != http.StatusNotFound && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("route answered %d without reaching the decoder", w.Code)
		}
	})
}

// checkCreate holds readCreate's promises for any input: a refusal is a
// 4xx with a message (field errors for 422) that never repeats the
// address; an acceptance is a fully valid, normalized request.
func checkCreate(t *testing.T, lim payout.Limits, client, key string, body []byte, v payout.Valid, status int, refusal apiError) {
	t.Helper()
	switch status {
	case 0:
		checkAccepted(t, lim, client, key, body, v)
	case http.StatusBadRequest:
		if refusal.Error == "" {
			t.Fatal("400 without a message")
		}
	case http.StatusUnprocessableEntity:
		if refusal.Error == "" || len(refusal.Fields) == 0 {
			t.Fatalf("422 without a message or field errors: %+v", refusal)
		}
		var req createRequest
		if json.Unmarshal(body, &req) == nil && len(req.Address) >= 8 {
			for field, msgs := range refusal.Fields {
				for _, m := range msgs {
					if strings.Contains(m, req.Address) {
						t.Fatalf("field %s echoes the address: %q", field, m)
					}
				}
			}
		}
	default:
		t.Fatalf("unexpected status %d", status)
	}
}

var clientIDShape = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func checkAccepted(t *testing.T, lim payout.Limits, client, key string, body []byte, v payout.Valid) {
	t.Helper()
	if v.ClientID != client || !clientIDShape.MatchString(client) {
		t.Fatalf("accepted client id %q", client)
	}
	if v.IdempotencyKey != key || key == "" {
		t.Fatalf("accepted idempotency key %q", key)
	}
	if !payout.SupportsPair(v.Asset, v.Network) || v.Asset != payout.NormalizeAsset(v.Asset) {
		t.Fatalf("accepted pair %q on %q", v.Asset, v.Network)
	}
	if !v.Amount.IsPositive() || -v.Amount.Exponent() > int32(payout.MaxDecimals(v.Asset)) {
		t.Fatalf("accepted amount %s for %s", v.Amount, v.Asset)
	}
	if max, ok := lim.For(v.Asset); ok && v.Amount.GreaterThan(max) {
		t.Fatalf("accepted amount %s above the limit %s", v.Amount, max)
	}
	if v.Address != "" && !payout.ValidAddress(v.Network, v.Address) {
		t.Fatalf("accepted address %q on %s", v.Address, v.Network)
	}
	if !v.Origin.Valid() || !utf8.ValidString(v.Memo) || strings.ContainsRune(v.Memo, 0) {
		t.Fatalf("accepted origin %q memo %q", v.Origin, v.Memo)
	}
	var probe map[string]any
	if err := json.Unmarshal(body, &probe); err != nil {
		t.Fatalf("accepted a body that is not one JSON object: %v", err)
	}
}

// validHeader is what net/http lets through as a header value.
func validHeader(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func FuzzParseListQuery(f *testing.F) {
	for _, q := range []string{
		"", "status=paid", "status=submitted,processing,verifying&limit=500", "status=paid'%20OR%201=1--",
		"client_id=42&origin=bonus&asset=usdt&needs_attention=true", "client_id=42'%3B%20DROP%20TABLE%20payouts%3B--",
		"created_from=2026-11-01T00:00:00Z&created_to=2026-10-01T00:00:00Z", "limit=0", "limit=1e3", "limit=-1",
		"limit=99999999999999999999", "stauts=paid", "status=paid&status=failed", "cursor=MTIzLnBvMQ", "cursor=!!",
		"needs_attention=yes", "asset=%00", "a=%zz", "origin=MANUAL",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if queryProblem(raw) != "" {
			return // refused with a 400 before any handler
		}
		r := httptest.NewRequest(http.MethodGet, "/payouts", nil)
		r.URL.RawQuery = raw
		filter, after, limit, errs := parseListQuery(r)
		if !errs.Empty() {
			return
		}
		if limit < 1 || limit > maxPageSize {
			t.Fatalf("limit %d accepted", limit)
		}
		for _, st := range filter.Statuses {
			if !st.Valid() {
				t.Fatalf("status %q accepted", st)
			}
		}
		if filter.ClientID != "" && payout.ValidateClientID(filter.ClientID) != nil {
			t.Fatalf("client id %q accepted", filter.ClientID)
		}
		if filter.Asset != "" && !payout.KnownAsset(filter.Asset) {
			t.Fatalf("asset %q accepted", filter.Asset)
		}
		if filter.Origin != "" && !filter.Origin.Valid() {
			t.Fatalf("origin %q accepted", filter.Origin)
		}
		if after != nil && !cursorID.MatchString(after.ID) {
			t.Fatalf("cursor id %q accepted", after.ID)
		}
		values, _ := url.ParseQuery(raw)
		for name, vs := range values {
			if len(vs) > 1 {
				t.Fatalf("repeated parameter %q accepted", name)
			}
		}
	})
}

func pageKeyAt(us int64, id string) store.PageKey {
	return store.PageKey{CreatedAt: time.UnixMicro(us).UTC(), ID: id}
}

func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{
		"", "MTIzLnBvMQ", "!!", "MTIz", "LTEucG8x", encodeCursor(pageKeyAt(0, "poAbc-_9")),
		"MS4nIE9SIDE9MS0t", "MS4AYQ", "OTIyMzM3MjAzNjg1NDc3NTgwNy5wbw",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, ok := decodeCursor(s)
		if !ok {
			return
		}
		if !cursorID.MatchString(key.ID) {
			t.Fatalf("cursor id %q accepted", key.ID)
		}
		if key.CreatedAt.Year() < 1970 || key.CreatedAt.Year() > 9999 {
			t.Fatalf("cursor time %s accepted", key.CreatedAt)
		}
		again, ok := decodeCursor(encodeCursor(key))
		if !ok || again != key {
			t.Fatalf("cursor %q does not round-trip: %+v vs %+v", s, key, again)
		}
	})
}

// FuzzDuplicateKey compares duplicateKey with a plainly recursive
// reference over any document encoding/json accepts.
func FuzzDuplicateKey(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c":2}]}}`, `[{"a":1},{"a":1}]`, `{"":1,"":2}`, `{"a":"\u0061","\u0061":1}`,
		`{"a":[],"b":{},"c":null,"d":true,"e":1.5e3,"f":"x"}`, `[[[[[]]]]]`, `"s"`, `1`, `{`, `{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		key, found, err := duplicateKey(data)
		wantKey, wantFound, depth := referenceDuplicate(data)
		if depth > maxJSONDepth {
			if err == nil && !found {
				t.Fatalf("depth %d accepted", depth)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid JSON of depth %d refused: %v", depth, err)
		}
		if found != wantFound || (found && key != wantKey) {
			t.Fatalf("got %q %v, reference %q %v", key, found, wantKey, wantFound)
		}
	})
}

// referenceDuplicate finds the first repeated key by decoding each object
// member by member, recursively; depth is the document's nesting depth.
func referenceDuplicate(data []byte) (string, bool, int) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(depth int) (string, bool, int)
	walk = func(depth int) (string, bool, int) {
		tok, err := dec.Token()
		if err != nil {
			return "", false, depth
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return "", false, depth
		}
		deepest := depth + 1
		seen := map[string]bool{}
		for dec.More() {
			if d == '{' {
				kt, _ := dec.Token()
				k, _ := kt.(string)
				if seen[k] {
					return k, true, deepest
				}
				seen[k] = true
			}
			k, found, sub := walk(depth + 1)
			deepest = max(deepest, sub)
			if found {
				return k, true, deepest
			}
		}
		_, _ = dec.Token()
		return "", false, deepest
	}
	return walk(0)
}

func FuzzWebhookSource(f *testing.F) {
	for _, s := range []struct{ peer, xff string }{
		{"10.1.2.3:5000", "31.133.220.8"}, {"198.51.100.1:5000", "31.133.220.8"}, {"10.1.2.3:5000", ""},
		{"10.1.2.3:5000", "6.6.6.6, 31.133.220.8, 10.9.9.9"}, {"10.1.2.3:5000", "x, 10.0.0.1"}, {"[::1]:1", "::ffff:1.2.3.4"},
		{"@", ""}, {"10.1.2.3:5000", ",,,"}, {"10.1.2.3:5000", "[2001:db8::1]:80"},
	} {
		f.Add(s.peer, s.xff)
	}
	g := WebhookGuard{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	f.Fuzz(func(t *testing.T, peer, xff string) {
		r := httptest.NewRequest(http.MethodPost, "/payouts/webhook", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", xff)
		src, known := g.source(r)
		untrusted, _ := WebhookGuard{}.source(r)
		if !contains(g.TrustedProxies, untrusted) && src != untrusted {
			t.Fatalf("peer %q is not a trusted proxy, yet the source is %s", peer, src)
		}
		blank := strings.TrimFunc(xff, func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) == ""
		if known && contains(g.TrustedProxies, src) && !blank && !allTrusted(g, xff) {
			t.Fatalf("source %s is a trusted proxy although %q names others", src, xff)
		}
		if known && src.Is4In6() {
			t.Fatalf("source %s is not unmapped", src)
		}
	})
}

func allTrusted(g WebhookGuard, xff string) bool {
	for _, hop := range strings.Split(xff, ",") {
		a, ok := parseHop(strings.TrimSpace(hop))
		if !ok || !contains(g.TrustedProxies, a) {
			return false
		}
	}
	return true
}

// FuzzReadWebhookBody drives the whole webhook route with no database: a
// body that gets past verification would need the key, so every fuzzed
// body must be refused with a classified 4xx, and never read past the
// limit.
func FuzzReadWebhookBody(f *testing.F) {
	for _, s := range []string{`{"type":"payout","sign":"00"}`, `{}`, `{"sign":"a","sign":"b"}`, `[`, ``, "\xff", `{"a":1`} {
		f.Add([]byte(s))
	}
	s := &server{Deps: Deps{HeleketAPIKey: "fuzz-key-not-the-real-one"}, log: slog.New(slog.DiscardHandler)}
	h := limitBodies(http.HandlerFunc(s.webhook))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/payouts/webhook", bytes.NewReader(body)))
		switch w.Code {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("unsigned body answered %d: %s", w.Code, w.Body)
		}
		var e apiError
		if err := json.NewDecoder(w.Body).Decode(&e); err != nil || e.Error == "" {
			t.Fatalf("refusal without a JSON error: %v", err)
		}
		if _, err := io.Copy(io.Discard, w.Body); err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
	})
}
