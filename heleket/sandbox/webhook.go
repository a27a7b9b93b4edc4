package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heleket-payouts/payouts/heleket"
)

// member is one key/value of a PHP-encoded object; val is a string, a bool
// or nil (null).
type member struct {
	key string
	val any
}

// phpEncode renders members the way PHP's json_encode($data,
// JSON_UNESCAPED_UNICODE) does: compact, keys in order, "/" escaped as "\/",
// non-ASCII raw except U+2028/U+2029. It is written independently of the
// client's verifier on purpose, so tests cross-check two implementations.
func phpEncode(members []member) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		phpString(&b, m.key)
		b.WriteByte(':')
		switch v := m.val.(type) {
		case string:
			phpString(&b, v)
		case bool:
			fmt.Fprintf(&b, "%t", v)
		default:
			b.WriteString("null")
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// phpString quotes s PHP-style. PHP refuses invalid UTF-8 outright; the
// sandbox substitutes U+FFFD instead of failing a webhook.
func phpString(b *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	s = strings.ToValidUTF8(s, "\uFFFD")
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '/':
			b.WriteString(`\/`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20, r == 0x2028, r == 0x2029:
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hexDigits[(r>>shift)&0xf])
			}
		default:
			var buf [utf8.UTFMax]byte
			b.Write(buf[:utf8.EncodeRune(buf[:], r)])
		}
	}
	b.WriteByte('"')
}

// webhookFields is the payload of one status webhook, before signing.
type webhookFields struct {
	uuid, orderID, status, txid string
	currency, network           string
	amount, merchantAmount      heleket.Amount
	commission, payerAmount     heleket.Amount
	orderIDNull                 bool // test webhooks without order_id send null
}

func fieldsOf(r *record) webhookFields {
	return webhookFields{
		uuid: r.uuid, orderID: r.orderID, status: r.status, txid: r.txid,
		currency: r.currency, network: r.network,
		amount:         heleket.NewAmount(r.amount),
		merchantAmount: heleket.NewAmount(r.merchantAmount),
		commission:     heleket.NewAmount(r.commission),
		payerAmount:    heleket.NewAmount(r.payoutAmount),
	}
}

// signedBody encodes the webhook in Heleket's field order and appends
// sign = md5(base64(json_without_sign) + api key) as the last member.
func (w webhookFields) signedBody(apiKey string) []byte {
	var orderID any = w.orderID
	if w.orderIDNull {
		orderID = nil
	}
	ms := []member{
		{"type", "payout"}, {"uuid", w.uuid}, {"order_id", orderID},
		{"amount", w.amount.StringFixed(8)},
		{"merchant_amount", w.merchantAmount.StringFixed(8)},
		{"commission", w.commission.StringFixed(8)},
		{"is_final", heleket.IsFinalStatus(w.status)},
		{"status", w.status},
	}
	if w.status == heleket.StatusPaid && w.txid != "" {
		ms = append(ms, member{"txid", w.txid})
	}
	ms = append(ms,
		member{"currency", w.currency}, member{"network", w.network},
		member{"payer_currency", w.currency}, member{"payer_amount", w.payerAmount.StringFixed(8)},
	)
	unsigned := phpEncode(ms)
	return phpEncode(append(ms, member{"sign", heleket.Sign(unsigned, apiKey)}))
}

// webhook is one queued delivery.
type webhook struct {
	url   string
	body  []byte
	final bool
	dup   bool // deliver a second time after the first success
}

// webhookQueue serialises one payout's webhooks so they arrive in status
// order unless the reorder fault says otherwise.
type webhookQueue struct {
	pending []webhook
	held    []webhook // intermediate webhooks held back by WebhookReorder
	running bool
}

// emitLocked queues the webhook for rec's current status, if it has a
// callback URL. Called with s.mu held so a payout's events queue in order.
func (s *Sandbox) emitLocked(rec *record) {
	if rec.urlCallback == "" {
		return
	}
	body := fieldsOf(rec).signedBody(s.cfg.APIKey)
	s.enqueue(rec.uuid, webhook{url: rec.urlCallback, body: body, final: rec.final()}, true)
}

// enqueue applies the webhook faults and hands the webhook to the payout's
// delivery goroutine. It never blocks on the network.
func (s *Sandbox) enqueue(key string, wh webhook, faulty bool) {
	f := Faults{}
	if faulty {
		f = s.Faults()
	}
	dropped := s.roll(f.WebhookDropRate, FaultWebhookDrop)
	if dropped {
		s.count(func(st *Stats) { st.WebhooksDropped++ })
	}
	wh.dup = !dropped && s.roll(f.WebhookDuplicateRate, FaultWebhookDup)
	s.whMu.Lock()
	defer s.whMu.Unlock()
	q := s.queues[key]
	if q == nil {
		q = &webhookQueue{}
		s.queues[key] = q
	}
	switch {
	case f.WebhookReorder && !wh.final:
		if !dropped {
			q.held = append(q.held, wh)
		}
	case f.WebhookReorder || len(q.held) > 0:
		s.flushReordered(q, wh, dropped)
	case !dropped:
		q.pending = append(q.pending, wh)
	}
	s.startWorkerLocked(key, q)
}

// flushReordered releases held webhooks behind the final one, shuffled.
func (s *Sandbox) flushReordered(q *webhookQueue, final webhook, dropped bool) {
	held := q.held
	q.held = nil
	if len(held) > 0 {
		s.countFault(FaultWebhookReorder)
		s.shuffle(len(held), func(i, j int) { held[i], held[j] = held[j], held[i] })
	}
	if !dropped {
		q.pending = append(q.pending, final)
	}
	q.pending = append(q.pending, held...)
}

func (s *Sandbox) startWorkerLocked(key string, q *webhookQueue) {
	if q.running || len(q.pending) == 0 {
		if !q.running && len(q.held) == 0 {
			delete(s.queues, key)
		}
		return
	}
	if s.isClosed() {
		return
	}
	q.running = true
	s.wg.Add(1)
	go s.deliverQueue(key, q)
}

func (s *Sandbox) deliverQueue(key string, q *webhookQueue) {
	defer s.wg.Done()
	for {
		wh, ok := s.nextWebhook(key, q)
		if !ok {
			return
		}
		s.deliver(wh)
		if wh.dup {
			s.count(func(st *Stats) { st.WebhooksDuplicated++ })
			s.deliver(wh)
		}
	}
}

func (s *Sandbox) nextWebhook(key string, q *webhookQueue) (webhook, bool) {
	s.whMu.Lock()
	defer s.whMu.Unlock()
	if len(q.pending) == 0 || s.isClosed() {
		q.running = false
		if len(q.held) == 0 {
			delete(s.queues, key)
		}
		return webhook{}, false
	}
	wh := q.pending[0]
	q.pending = q.pending[1:]
	return wh, true
}

// deliver posts until a 2xx, backing off from WebhookRetry (doubling, capped
// at a minute), and gives up after about two hours or on Close.
func (s *Sandbox) deliver(wh webhook) {
	if !s.sleep(s.Faults().WebhookDelay) {
		return
	}
	started := time.Now()
	delay := s.cfg.WebhookRetry
	for {
		if s.post(wh) {
			return
		}
		if time.Since(started) > webhookGiveUpAfter {
			s.log.Warn("webhook given up", "attempts_for", time.Since(started).String())
			return
		}
		if !s.sleep(delay) {
			return
		}
		delay = min(delay*2, maxWebhookRetry)
	}
}

func (s *Sandbox) post(wh webhook) bool {
	s.count(func(st *Stats) { st.WebhooksSent++ })
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, wh.url, bytes.NewReader(wh.body))
	if err != nil {
		s.log.Warn("webhook request", "err", err)
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.whClient.Do(req)
	if err != nil {
		return false
	}
	// Read to the end, so the connection goes back to the idle pool
	// instead of being closed: an HTTP sender keeps its connections alive.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return false
	}
	s.count(func(st *Stats) { st.WebhooksDelivered++ })
	return true
}

// sleep waits d unless the sandbox closes first; it reports whether to go on.
func (s *Sandbox) sleep(d time.Duration) bool {
	if d <= 0 {
		return !s.isClosed()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// sendTestWebhook posts a signed test webhook outside any payout's queue,
// without webhook faults: it is an explicit request.
func (s *Sandbox) sendTestWebhook(url string, w webhookFields) {
	body := w.signedBody(s.cfg.APIKey)
	s.enqueue("test:"+newUUID(), webhook{url: url, body: body, final: true}, false)
}
