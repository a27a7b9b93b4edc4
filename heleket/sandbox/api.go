package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/heleket"
)

// reply is an API answer before faults decide whether it reaches the client.
type reply struct {
	status int
	body   any
}

type okBody struct {
	State  int `json:"state"`
	Result any `json:"result"`
}

type errBody struct {
	State   int         `json:"state"`
	Message string      `json:"message,omitempty"`
	Errors  fieldErrors `json:"errors,omitempty"`
}

func ok(result any) reply { return reply{http.StatusOK, okBody{State: 0, Result: result}} }

func refuse(msg string) reply {
	return reply{http.StatusUnprocessableEntity, errBody{State: 1, Message: msg}}
}

func invalid(errs fieldErrors) reply {
	return reply{http.StatusUnprocessableEntity, errBody{State: 1, Errors: errs}}
}

// call is an authenticated API request.
type call struct {
	in     input
	cursor string
}

type apiHandler func(c call) reply

// Handler serves the Heleket API (/v1/...), the control routes
// (/_sandbox/...) and /healthz. Anything else gets a JSON error, as from
// Heleket's Laravel backend: 404 for an unknown path, 405 for a known one
// with another method.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	routes := s.apiRoutes()
	for path, h := range routes {
		mux.Handle("POST "+path, s.api(h))
	}
	s.controlRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if _, known := routes[r.URL.Path]; known {
			writeJSON(w, reply{http.StatusMethodNotAllowed, errBody{State: 1, Message: "Method not allowed"}})
			return
		}
		writeJSON(w, reply{http.StatusNotFound, errBody{State: 1, Message: "Not found"}})
	})
	return mux
}

func (s *Sandbox) apiRoutes() map[string]apiHandler {
	routes := map[string]apiHandler{
		heleket.PathCreatePayout: s.handleCreate,
		heleket.PathPayoutInfo:   s.handleInfo,
		heleket.PathListPayouts:  s.handleList,
		heleket.PathServices:     s.handleServices,
		heleket.PathTestWebhook:  s.handleTestWebhook,
		heleket.PathBalance:      s.handleBalance,
	}
	calc := []string{heleket.PathCalc, heleket.PathCalculate}
	if s.cfg.CalcPath != "" {
		calc = []string{s.cfg.CalcPath}
	}
	for _, path := range calc {
		routes[path] = s.handleCalc
	}
	return routes
}

// api wraps an endpoint with call counting, faults and authentication.
func (s *Sandbox) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.count(func(st *Stats) { st.Calls[r.URL.Path]++ })
		if !s.injectBefore(w, r) {
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			writeJSON(w, reply{http.StatusBadRequest, errBody{State: 1, Message: "Bad request body"}})
			return
		}
		rep := s.authorize(r, body)
		if rep.status == 0 {
			rep = h(call{in: parseInput(body), cursor: r.URL.Query().Get("cursor")})
		}
		if rep.status == http.StatusUnauthorized || rep.status == http.StatusUnprocessableEntity {
			s.count(func(st *Stats) { st.Rejected++ })
		}
		s.injectAfter(w, rep)
	}
}

// authorize checks the merchant and sign headers; a zero reply means pass.
func (s *Sandbox) authorize(r *http.Request, body []byte) reply {
	merchant := r.Header.Get("merchant")
	sign := r.Header.Get("sign")
	want := heleket.Sign(body, s.cfg.APIKey)
	if subtle.ConstantTimeCompare([]byte(merchant), []byte(s.cfg.MerchantID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(sign), []byte(want)) == 1 {
		return reply{}
	}
	return reply{http.StatusUnauthorized, errBody{State: 1, Message: msgInvalidSign}}
}

// injectBefore applies latency and the faults that strike before the
// request is applied; false means the request was answered (or abandoned).
func (s *Sandbox) injectBefore(w http.ResponseWriter, r *http.Request) bool {
	f := s.Faults()
	if d := s.latency(f); d > 0 {
		s.countFault(FaultLatency)
		if !s.wait(r, d) {
			return false
		}
	}
	switch {
	case s.roll(f.RateLimitRate, FaultRateLimit):
		if f.RetryAfter > 0 {
			secs := int64((f.RetryAfter + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		}
		writeJSON(w, reply{http.StatusTooManyRequests, errBody{State: 1, Message: "Too Many Attempts."}})
		return false
	case s.roll(f.ServerErrorRate, FaultServerError):
		writeJSON(w, reply{http.StatusInternalServerError, errBody{State: 1, Message: "Server Error"}})
		return false
	case s.roll(f.TimeoutRate, FaultTimeout):
		s.wait(r, maxTimeoutHang)
		abort()
	}
	return true
}

// injectAfter writes the reply, unless the lost-response fault eats it: the
// request has been applied, but the client sees a 504 or a dropped
// connection and must retry.
func (s *Sandbox) injectAfter(w http.ResponseWriter, rep reply) {
	if !s.roll(s.Faults().LostResponseRate, FaultLostResponse) {
		writeJSON(w, rep)
		return
	}
	if s.randN(2) == 0 {
		abort()
	}
	writeJSON(w, reply{http.StatusGatewayTimeout, errBody{State: 1, Message: "Gateway Timeout"}})
}

// abort drops the connection without an answer; net/http recovers this
// sentinel panic silently.
func abort() { panic(http.ErrAbortHandler) }

func (s *Sandbox) latency(f Faults) time.Duration {
	d := f.Latency
	if f.LatencyJitter > 0 {
		d += time.Duration(s.randN(int64(f.LatencyJitter)))
	}
	return d
}

// wait sleeps d unless the client goes away or the sandbox closes; it
// reports whether the full time passed.
func (s *Sandbox) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.ctx.Done():
	}
	return false
}

func writeJSON(w http.ResponseWriter, rep reply) {
	b, err := json.Marshal(rep.body)
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = w.Write(b)
}

func (s *Sandbox) handleCreate(c call) reply {
	t, errs := parseCreate(c.in)
	if len(errs) > 0 {
		return invalid(errs)
	}
	p, repeat, refusal := s.create(t)
	if refusal != "" {
		return refuse(refusal)
	}
	if !repeat {
		s.log.Info("payout created", "uuid", p.UUID, "order_id", t.orderID, "currency", p.Currency, "network", p.Network)
	}
	return ok(p)
}

func (s *Sandbox) handleInfo(c call) reply {
	q, errs := parseInfo(c.in)
	if len(errs) > 0 {
		return invalid(errs)
	}
	p, found := s.lookup(q.orderID, q.uuid)
	if !found {
		return refuse(msgNotFound)
	}
	return ok(p)
}

func (s *Sandbox) handleList(c call) reply {
	q, errs := parseList(c.in, c.cursor)
	if len(errs) > 0 {
		return invalid(errs)
	}
	return ok(s.list(q))
}

func (s *Sandbox) handleServices(call) reply {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]heleket.Service, len(serviceTable))
	for i, svc := range serviceTable {
		out[i] = svc.wire(!s.unavailable[serviceKey{svc.currency, svc.network}])
	}
	return ok(out)
}

func (s *Sandbox) handleCalc(c call) reply {
	t, errs := parseCalc(c.in)
	if len(errs) > 0 {
		return invalid(errs)
	}
	fee, debit, payout := t.svc.split(t.amount, t.isSubtract)
	return ok(heleket.CalcResult{
		Commission:     heleket.NewAmount(fee),
		MerchantAmount: heleket.NewAmount(debit),
		PayoutAmount:   heleket.NewAmount(payout),
	})
}

func (s *Sandbox) handleTestWebhook(c call) reply {
	q, errs := parseTestWebhook(c.in)
	if len(errs) > 0 {
		return invalid(errs)
	}
	s.sendTestWebhook(q.url, s.testWebhookFields(q.fields))
	return ok([]any{})
}

// testWebhookFields fills the amounts from the named payout when it exists,
// otherwise with fixed sample values.
func (s *Sandbox) testWebhookFields(f webhookFields) webhookFields {
	if existing, found := s.fieldsFor(f.orderID, f.uuid); found {
		existing.status = f.status
		f = existing
	} else {
		f = sampleFields(f)
	}
	if f.status == heleket.StatusPaid && f.txid == "" {
		f.txid = randomHex(32)
	}
	return f
}

func (s *Sandbox) fieldsFor(orderID, uuid string) (webhookFields, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, found := s.byOrder[orderID]
	if !found {
		rec, found = s.byUUID[uuid]
	}
	if !found {
		return webhookFields{}, false
	}
	return fieldsOf(rec), true
}

func sampleFields(f webhookFields) webhookFields {
	if f.uuid == "" {
		f.uuid = newUUID()
	}
	f.orderIDNull = f.orderID == ""
	amount, fee := decimal.NewFromInt(10), decimal.NewFromInt(1)
	f.amount, f.payerAmount = heleket.NewAmount(amount), heleket.NewAmount(amount)
	f.commission = heleket.NewAmount(fee)
	f.merchantAmount = heleket.NewAmount(amount.Add(fee))
	return f
}
