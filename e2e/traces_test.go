package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/tracing"
	"github.com/heleket-payouts/payouts/workflows"
)

// One payout request is one trace: the API's span is the root, starting
// the workflow is its child, the workflow's run and its Submit activity
// follow, and the activity's call to Heleket ends the chain. No span
// carries the wallet address, a token, the API key, a request's
// signature or body.
func TestOnePayoutRequestIsOneTraceDownToTheHeleketCall(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.New(exp, []string{testenv.APIKey, testenv.AdminToken, testenv.SecondAdminToken})
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	sent := &sentToHeleket{}
	e := testenv.New(t, testenv.Options{Tracing: tr, WrapHeleket: sent.wrap})

	p := accepted(t, e, "42", uniqueKey("traced"), body("100.50", tronAddress))
	require.Equal(t, payout.StatusPaid, e.WaitFinal(p.ID).Status)
	checkReplay(t, e, p.ID, "payout_traced")
	// Close waits for the requests in flight, so their server spans have
	// ended; Flush exports every ended span.
	e.API.Close()
	require.NoError(t, tr.Flush(context.Background()))
	spans := exp.GetSpans()

	server := findSpan(t, spans, "POST /clients/{client_id}/payout", trace.SpanID{})
	assert.Equal(t, trace.SpanKindServer, server.SpanKind)
	assert.Contains(t, server.Attributes, attribute.String("http.route", "/clients/{client_id}/payout"))
	start := findSpan(t, spans, "StartWorkflow:"+workflows.PayoutWorkflowName, server.SpanContext.SpanID())
	run := findSpan(t, spans, "RunWorkflow:"+workflows.PayoutWorkflowName, start.SpanContext.SpanID())
	assert.Contains(t, run.Attributes, attribute.String("temporalWorkflowID", payout.WorkflowID(p.ID)), "the workflow id (the payout id) is kept")
	schedule := findSpan(t, spans, "StartActivity:Submit", run.SpanContext.SpanID())
	submit := findSpan(t, spans, "RunActivity:Submit", schedule.SpanContext.SpanID())
	call := findSpan(t, spans, "POST "+heleket.PathCreatePayout, submit.SpanContext.SpanID())
	assert.Equal(t, trace.SpanKindClient, call.SpanKind)
	assert.Contains(t, call.Attributes, attribute.String("url.full", e.Sandbox.URL()+heleket.PathCreatePayout))
	for _, s := range []tracetest.SpanStub{start, run, schedule, submit, call} {
		assert.Equal(t, server.SpanContext.TraceID(), s.SpanContext.TraceID(), "%s is in the request's trace", s.Name)
	}

	// Heleket's webhooks are traces of their own, down to the signal the
	// workflow handles (at least the one that told it of the payment: it
	// waits for a webhook before it polls; a late one may find it closed).
	var hooks, signalled int
	for _, s := range spans {
		if s.Name != "POST /payouts/webhook" {
			continue
		}
		hooks++
		assert.False(t, s.Parent.IsValid(), "a webhook starts its own trace")
		for _, signal := range children(spans, s, "SignalWorkflow:"+workflows.SignalHeleketUpdate) {
			signalled += len(children(spans, signal, "HandleSignal:"+workflows.SignalHeleketUpdate))
		}
	}
	assert.Positive(t, hooks, "the sandbox's webhooks were traced")
	assert.Positive(t, signalled, "a webhook's trace reaches the workflow's signal handler")

	forbidden := append([]string{tronAddress, testenv.AdminToken, testenv.APIKey}, sent.all()...)
	require.Greater(t, len(forbidden), 3, "the Heleket requests' signatures and bodies were captured")
	sent.mu.Lock()
	assert.Zero(t, sent.traced, "our trace context is not sent to Heleket")
	sent.mu.Unlock()
	for _, s := range spans {
		text := spanText(s)
		for _, f := range forbidden {
			assert.NotContains(t, text, f, "span %s", s.Name)
		}
	}
}

// findSpan is the one span with the name whose parent is parent (none:
// a root).
func findSpan(t *testing.T, spans tracetest.SpanStubs, name string, parent trace.SpanID) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
		if s.Name == name && s.Parent.SpanID() == parent {
			found = append(found, s)
		}
	}
	require.Len(t, found, 1, "a span %q under %s among %v", name, parent, names)
	return found[0]
}

func children(spans tracetest.SpanStubs, parent tracetest.SpanStub, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name && s.Parent.SpanID() == parent.SpanContext.SpanID() {
			out = append(out, s)
		}
	}
	return out
}

// spanText is everything a span says in words: name, attributes, events,
// links and status.
func spanText(s tracetest.SpanStub) string {
	var b strings.Builder
	attrs := func(kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			b.WriteString(string(kv.Key) + "=" + kv.Value.Emit() + "\n")
		}
	}
	b.WriteString(s.Name + "\n" + s.Status.Description + "\n")
	attrs(s.Attributes)
	for _, ev := range s.Events {
		b.WriteString(ev.Name + "\n")
		attrs(ev.Attributes)
	}
	for _, l := range s.Links {
		attrs(l.Attributes)
	}
	return b.String()
}

// sentToHeleket keeps the signature and body of every request to Heleket.
type sentToHeleket struct {
	mu   sync.Mutex
	seen []string
	// traced counts requests that carried a trace context out.
	traced int
}

func (s *sentToHeleket) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTrip(func(r *http.Request) (*http.Response, error) {
		var body []byte
		if r.Body != nil {
			var err error
			if body, err = io.ReadAll(r.Body); err != nil {
				return nil, err
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		s.mu.Lock()
		s.seen = append(s.seen, r.Header.Get("sign"), string(body))
		if r.Header.Get("traceparent") != "" {
			s.traced++
		}
		s.mu.Unlock()
		return next.RoundTrip(r)
	})
}

func (s *sentToHeleket) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, v := range s.seen {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
