// Package logging sets up the service's slog logger: JSON in production,
// text in dev, with a handler that masks secrets and wallet addresses and
// adds the request's and payout's ids to every line logged with their
// context.
package logging

import (
	"io"
	"log/slog"
	"strings"
)

// Options configure New.
type Options struct {
	Level  string    // debug, info, warn, error; unknown means info
	Format string    // "text" or "json" (default)
	Writer io.Writer // where lines go; required
	// Secrets are exact values (API keys, tokens, encryption keys) replaced
	// wherever they appear in a line.
	Secrets []string
}

// New returns a logger writing through the masking handler.
func New(o Options) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if strings.EqualFold(o.Format, "text") {
		h = slog.NewTextHandler(o.Writer, opts)
	} else {
		h = slog.NewJSONHandler(o.Writer, opts)
	}
	return slog.New(NewMaskingHandler(h, o.Secrets))
}
