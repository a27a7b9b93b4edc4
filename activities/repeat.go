package activities

import (
	"context"
	"time"
)

// repeat calls fn at once and then every interval until ctx ends: the
// loop of the worker's watches and of a delivery call's heartbeat.
func repeat(ctx context.Context, every time.Duration, fn func(context.Context)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
