package bench

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"time"
)

// ExportResult is one GET /payouts/export.csv of the whole table, with
// the process's memory sampled while it streams. The API runs in this
// process, so the samples are the server's (and the bench client's, which
// reads with a reused record and keeps nothing).
type ExportResult struct {
	Path          string         `json:"path"`
	Rows          int            `json:"rows"` // data rows, without the header
	Bytes         int64          `json:"bytes"`
	Seconds       float64        `json:"seconds"`
	RowsPerSecond float64        `json:"rows_per_second"`
	HeapBeforeMiB float64        `json:"heap_live_before_mib"`
	RSSBeforeMiB  float64        `json:"rss_before_mib"`
	Heap          Spread         `json:"heap_live_mib"`
	RSS           Spread         `json:"rss_mib"`
	Samples       []MemorySample `json:"samples"`
}

// exportSampleEvery is finer than the campaign's second: the export of a
// million rows takes seconds, and a spike would hide between samples.
const exportSampleEvery = 250 * time.Millisecond

// measureExport downloads the export of every payout, counts its rows
// with a standard CSV reader, and samples live heap and RSS meanwhile.
func (s *scaleEnv) measureExport(ctx context.Context, progress io.Writer) (ExportResult, error) {
	const path = "/payouts/export.csv"
	r := ExportResult{Path: path}
	runtime.GC() // the baseline is what stays live, not the garbage of the queries before
	r.HeapBeforeMiB, r.RSSBeforeMiB = liveHeapMiB(), rssMiB("self")

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.apiURL+path, nil)
	if err != nil {
		return r, err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	began := time.Now()
	var (
		mu      sync.Mutex
		rows    int
		stop    = make(chan struct{})
		stopped = make(chan struct{})
	)
	bar := newProgress(progress, "export csv", s.rows)
	go func() {
		defer close(stopped)
		tick := time.NewTicker(exportSampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				mu.Lock()
				n := rows
				mu.Unlock()
				bar.set(min(n, s.rows))
				r.Samples = append(r.Samples, MemorySample{AtS: time.Since(began).Seconds(), Started: int64(n),
					HeapMiB: liveHeapMiB(), RSSMiB: rssMiB("self")})
			}
		}
	}()
	err = func() error {
		resp, err := s.http.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		body := &countingReader{r: resp.Body}
		cr := csv.NewReader(body)
		cr.ReuseRecord = true
		if _, err := cr.Read(); err != nil {
			return fmt.Errorf("header row: %w", err)
		}
		for {
			_, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("row %d: %w", rows+1, err)
			}
			mu.Lock()
			rows++
			mu.Unlock()
		}
		r.Bytes = body.n
		return nil
	}()
	r.Seconds = time.Since(began).Seconds()
	close(stop)
	<-stopped
	r.Rows = rows
	r.Samples = append(r.Samples, MemorySample{AtS: r.Seconds, Started: int64(rows), HeapMiB: liveHeapMiB(), RSSMiB: rssMiB("self")})
	bar.finish()
	if err != nil {
		return r, err
	}
	if r.Rows != s.rows {
		return r, fmt.Errorf("exported %d rows of %d", r.Rows, s.rows)
	}
	r.RowsPerSecond = float64(r.Rows) / r.Seconds
	r.Heap = spread(r.Samples, func(m MemorySample) float64 { return m.HeapMiB })
	r.RSS = spread(r.Samples, func(m MemorySample) float64 { return m.RSSMiB })
	return r, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
