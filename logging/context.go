package logging

import (
	"context"
	"log/slog"
	"sync"
)

type scopeKey struct{}

// scope collects attributes that belong to every line logged with a
// context: the request id when the request starts, the payout id once a
// handler knows it. It is mutable so a handler deep in the call chain can
// tell the request log line, written by a middleware, which payout it was.
type scope struct {
	mu    sync.Mutex
	attrs []slog.Attr
}

// NewScope returns a context whose log lines carry args (slog key-value
// pairs or slog.Attr), plus whatever Add puts in later.
func NewScope(ctx context.Context, args ...any) context.Context {
	s := &scope{}
	s.add(args)
	return context.WithValue(ctx, scopeKey{}, s)
}

// Add attaches args to the context's scope; without a scope it does
// nothing, since there is no line to attach them to.
func Add(ctx context.Context, args ...any) {
	if s, ok := ctx.Value(scopeKey{}).(*scope); ok {
		s.add(args)
	}
}

func (s *scope) add(args []any) {
	r := slog.Record{}
	r.Add(args...)
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool {
		s.set(a)
		return true
	})
}

// set replaces an attribute with the same key, so a repeated Add does not
// print the key twice.
func (s *scope) set(a slog.Attr) {
	for i := range s.attrs {
		if s.attrs[i].Key == a.Key {
			s.attrs[i] = a
			return
		}
	}
	s.attrs = append(s.attrs, a)
}

func scopeAttrs(ctx context.Context) []slog.Attr {
	if ctx == nil {
		return nil
	}
	s, ok := ctx.Value(scopeKey{}).(*scope)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]slog.Attr(nil), s.attrs...)
}
