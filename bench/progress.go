package bench

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws a one-line bar, redrawn at most ten times a second.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	total int
	last  time.Time
	began time.Time
}

func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, label: label, total: total, began: time.Now()}
}

func (p *progress) set(done int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond && done < p.total {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := done * width / p.total
	rate := float64(done) / time.Since(p.began).Seconds()
	fmt.Fprintf(p.w, "\r%-15s [%s%s] %d/%d  %.1f/s ", p.label, strings.Repeat("#", filled),
		strings.Repeat(".", width-filled), done, p.total, rate)
}

func (p *progress) finish() {
	if p.w != nil {
		fmt.Fprintln(p.w)
	}
}
