package tracing

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/heleket-payouts/payouts/logging"
)

// idKeys hold the ids Temporal's interceptor records: payout and run ids,
// which are never addresses and which the address search must not mangle.
var idKeys = []attribute.Key{"temporalWorkflowID", "temporalRunID", "temporalActivityID", "temporalUpdateID"}

// urlKeys are full URLs or targets: only their path survives, since a
// query string may carry anything.
var urlKeys = []attribute.Key{"url.full", "http.url", "http.target"}

// Redacting wraps exp so that what it exports holds no secret, wallet
// address, query string or header. It works on the finished span, whoever
// recorded it (otelhttp, Temporal's interceptor, an error message), so no
// instrumentation can slip past it.
func Redacting(exp sdktrace.SpanExporter, secrets []string) sdktrace.SpanExporter {
	return &redactingExporter{next: exp, mask: logging.Masker(secrets)}
}

type redactingExporter struct {
	next sdktrace.SpanExporter
	mask func(string) string
}

func (r *redactingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		out[i] = r.span(s)
	}
	return r.next.ExportSpans(ctx, out)
}

func (r *redactingExporter) Shutdown(ctx context.Context) error { return r.next.Shutdown(ctx) }

// redactedSpan is a finished span with its text rewritten; everything
// else (ids, parent, times, resource) is the original's.
type redactedSpan struct {
	sdktrace.ReadOnlySpan
	name   string
	attrs  []attribute.KeyValue
	events []sdktrace.Event
	links  []sdktrace.Link
	status sdktrace.Status
}

func (s *redactedSpan) Name() string                     { return s.name }
func (s *redactedSpan) Attributes() []attribute.KeyValue { return s.attrs }
func (s *redactedSpan) Events() []sdktrace.Event         { return s.events }
func (s *redactedSpan) Links() []sdktrace.Link           { return s.links }
func (s *redactedSpan) Status() sdktrace.Status          { return s.status }

func (r *redactingExporter) span(s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	out := &redactedSpan{ReadOnlySpan: s, name: r.mask(s.Name()), attrs: r.attrs(s.Attributes()), status: s.Status()}
	out.status.Description = r.mask(out.status.Description)
	for _, e := range s.Events() {
		e.Name, e.Attributes = r.mask(e.Name), r.attrs(e.Attributes)
		out.events = append(out.events, e)
	}
	for _, l := range s.Links() {
		l.Attributes = r.attrs(l.Attributes)
		out.links = append(out.links, l)
	}
	return out
}

func (r *redactingExporter) attrs(in []attribute.KeyValue) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(in))
	for _, kv := range in {
		if kv, ok := r.attr(kv); ok {
			out = append(out, kv)
		}
	}
	return out
}

func (r *redactingExporter) attr(kv attribute.KeyValue) (attribute.KeyValue, bool) {
	k := string(kv.Key)
	switch {
	case strings.Contains(k, ".header.") || k == "url.query":
		return kv, false
	case slices.Contains(idKeys, kv.Key):
		return kv, true
	case slices.Contains(urlKeys, kv.Key):
		return kv.Key.String(r.mask(withoutQuery(kv.Value.Emit()))), true
	}
	switch kv.Value.Type() {
	case attribute.STRING:
		return kv.Key.String(r.mask(kv.Value.AsString())), true
	case attribute.STRINGSLICE:
		vs := slices.Clone(kv.Value.AsStringSlice())
		for i := range vs {
			vs[i] = r.mask(vs[i])
		}
		return kv.Key.StringSlice(vs), true
	}
	return kv, true
}

// withoutQuery keeps a URL's scheme, host and path.
func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparseable URL]"
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment, u.User = "", false, "", "", nil
	return u.String()
}
