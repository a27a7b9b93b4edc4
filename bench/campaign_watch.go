package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/heleket-payouts/payouts/workflows"
)

// watchStarts samples memory once a second until the campaign's workflow
// has started every row, or until o.For, when it pauses the campaign.
func (c *campaignEnv) watchStarts(ctx context.Context, o CampaignOptions, batchID string, accepted time.Time, res *CampaignResult) error {
	done := make(chan error, 1)
	go func() {
		var p workflows.BatchProgress
		// Get follows the campaign's runs through continue-as-new.
		done <- c.client.GetWorkflow(ctx, workflows.BatchWorkflowID(batchID), "").Get(ctx, &p)
	}()
	bar := newProgress(o.Progress, "campaign starts", o.Rows)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var deadline <-chan time.Time
	if o.For > 0 {
		deadline = time.After(o.For)
	}
	sample := func() {
		n := c.starts.n.Load()
		bar.set(int(min(n, int64(o.Rows))))
		res.Memory = append(res.Memory, MemorySample{AtS: time.Since(accepted).Seconds(), Started: n,
			HeapMiB: liveHeapMiB(), RSSMiB: rssMiB("self"), DevServerMiB: rssMiB(strconv.Itoa(c.temporal.PID()))})
	}
wait:
	for {
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("campaign %s: %w", batchID, err)
			}
			break wait
		case <-deadline:
			if err := c.pauseCampaign(ctx, batchID); err != nil {
				return err
			}
			res.Bounded, res.CampaignPaused = true, true
			break wait
		case <-tick.C:
			sample()
		}
	}
	sample()
	bar.finish()
	c.startFigures(accepted, res)
	res.Heap = spread(res.Memory, func(m MemorySample) float64 { return m.HeapMiB })
	res.RSS = spread(res.Memory, func(m MemorySample) float64 { return m.RSSMiB })
	res.DevServerRSS = spread(res.Memory, func(m MemorySample) float64 { return m.DevServerMiB })
	return nil
}

// startFigures turns the recorded start times into rates.
func (c *campaignEnv) startFigures(accepted time.Time, res *CampaignResult) {
	n := int(min(c.starts.n.Load(), int64(len(c.starts.times))))
	res.Started = int(c.starts.n.Load())
	if n < 2 {
		return
	}
	at := func(i int) time.Time { return time.Unix(0, atomic.LoadInt64(&c.starts.times[i])) }
	first, half, last := at(0), at(n/2), at(n-1)
	res.FirstStartS = first.Sub(accepted).Seconds()
	res.StartS = last.Sub(first).Seconds()
	res.StartsPS = float64(n-1) / res.StartS
	res.FirstHalfPS = float64(n/2) / half.Sub(first).Seconds()
	res.SecondHalfPS = float64(n-1-n/2) / last.Sub(half).Seconds()
}

// pauseCampaign pauses through the API, as an operator would; the pause
// waits for the page in flight, so no start is cut off mid-page.
func (c *campaignEnv) pauseCampaign(ctx context.Context, batchID string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiURL+"/payouts/batches/"+batchID+"/pause",
		bytes.NewReader([]byte(`{"reason":"bench: the measured part is over"}`)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.users.Do(req)
	if err != nil {
		return fmt.Errorf("pause campaign: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pause campaign: HTTP %d", resp.StatusCode)
	}
	return nil
}

// campaignRuns walks the campaign's runs from the latest back to the first
// (each run's first event names the run it continues) and returns the
// history length of each, first run first.
func (c *campaignEnv) campaignRuns(ctx context.Context, batchID string) (int, []int, error) {
	id := workflows.BatchWorkflowID(batchID)
	var lengths []int
	runID := ""
	for {
		desc, err := c.client.DescribeWorkflowExecution(ctx, id, runID)
		if err != nil {
			return 0, nil, fmt.Errorf("describe %s: %w", id, err)
		}
		info := desc.GetWorkflowExecutionInfo()
		lengths = append(lengths, int(info.GetHistoryLength()))
		iter := c.client.GetWorkflowHistory(ctx, id, info.GetExecution().GetRunId(), false, 0)
		if !iter.HasNext() {
			return 0, nil, errors.New("campaign workflow has an empty history")
		}
		ev, err := iter.Next()
		if err != nil {
			return 0, nil, fmt.Errorf("history of %s: %w", id, err)
		}
		runID = ev.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if runID == "" {
			break
		}
	}
	slices.Reverse(lengths)
	return len(lengths), lengths, nil
}

// liveHeapMiB is the heap the last collection found live: it does not
// force a collection, which would take a core of a two-core machine from
// the run being measured.
func liveHeapMiB() float64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(s[0].Value.Uint64()) / (1 << 20)
}

// rssMiB is a process's resident set (VmRSS); 0 when it cannot be read.
func rssMiB(pid string) float64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func spread(samples []MemorySample, value func(MemorySample) float64) Spread {
	if len(samples) == 0 {
		return Spread{}
	}
	v := make([]float64, len(samples))
	for i, s := range samples {
		v[i] = value(s)
	}
	mean := func(x []float64) float64 {
		if len(x) == 0 {
			return 0
		}
		t := 0.0
		for _, f := range x {
			t += f
		}
		return t / float64(len(x))
	}
	h := len(v) / 2
	out := Spread{FirstHalf: mean(v[:max(h, 1)]), SecondHalf: mean(v[h:])}
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	out.Median, out.Peak = sorted[len(sorted)/2], sorted[len(sorted)-1]
	return out
}

// watchPeak samples this process's RSS and heap ten times a second until
// the returned func is called, which returns their peaks.
func watchPeak() func() (rss, heap float64) {
	stop := make(chan struct{})
	done := make(chan [2]float64)
	go func() {
		var top [2]float64
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			top[0], top[1] = max(top[0], rssMiB("self")), max(top[1], heapObjectsMiB())
			select {
			case <-stop:
				done <- top
				return
			case <-tick.C:
			}
		}
	}()
	return func() (float64, float64) {
		close(stop)
		top := <-done
		return top[0], top[1]
	}
}

// heapObjectsMiB is the heap in use now, garbage not yet collected
// included: the live heap is only known at the end of a collection.
func heapObjectsMiB() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(s[0].Value.Uint64()) / (1 << 20)
}

// oneLine squeezes a statement's whitespace and cuts it to n bytes.
func oneLine(sql string, n int) string {
	s := strings.Join(strings.Fields(sql), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
