package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/heleket-payouts/payouts/bench"
)

// batchFlags are the flags of payouts bench -batch N; -json is shared
// with the plain benchmark.
type batchFlags struct {
	rows    *int
	page    *int
	ceiling *int
	bound   *time.Duration
}

func addBatchFlags(fs *flag.FlagSet) batchFlags {
	return batchFlags{
		rows:    fs.Int("batch", 0, "campaign mode: post one CSV campaign of this many rows, time its acceptance and its payouts' starts"),
		page:    fs.Int("batch-page", 0, "-batch: rows per page of the campaign's workflow (0: the product's default, BATCH_PAGE_SIZE)"),
		ceiling: fs.Int("batch-ceiling", 0, "-batch: plain workflow starts in each engine burst (0: min(rows, 5000))"),
		bound:   fs.Duration("batch-for", 0, "-batch: stop starting (pause the campaign) after this long; 0 waits for every row"),
	}
}

func runBenchBatch(ctx context.Context, f batchFlags, dsn, jsonFile string) error {
	res, err := bench.RunCampaign(ctx, bench.CampaignOptions{Rows: *f.rows, PageSize: *f.page, CeilingRuns: *f.ceiling,
		For: *f.bound, DatabaseURL: dsn, Progress: os.Stderr})
	if err != nil {
		return err
	}
	printCampaign(res)
	if jsonFile == "" {
		return nil
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encode figures: %w", err)
	}
	if err := os.WriteFile(jsonFile, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", jsonFile, err)
	}
	return nil
}

func printCampaign(r bench.CampaignResult) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	started := fmt.Sprintf("%d of %d", r.Started, r.Rows)
	if r.Bounded {
		started += " (bounded by -batch-for: the campaign was paused through the API)"
	}
	runs := make([]string, len(r.HistoryPerRun))
	for i, n := range r.HistoryPerRun {
		runs[i] = fmt.Sprint(n)
	}
	rows := [][2]string{
		{"rows / page size / CPUs", fmt.Sprintf("%d / %d / %d", r.Rows, r.PageSize, r.CPUs)},
		{"CSV body", fmt.Sprintf("%.1f MiB", float64(r.CSVBytes)/(1<<20))},
		{"POST /payouts/batch -> 202", fmt.Sprintf("%.2f s (%.0f rows/s accepted)", r.AcceptS, r.AcceptedPerSec)},
		{"  of which waiting for PostgreSQL", fmt.Sprintf("%.2f s over %d statements", r.AcceptSQLWaitS, r.AcceptSQL)},
		{"  CPU, ms", cpuRow(r.AcceptCPU)},
	}
	for _, st := range r.AcceptSlowSQL {
		rows = append(rows, [2]string{"  statement over 100 ms", fmt.Sprintf("%.2f s: %s", st.Seconds, st.SQL)})
	}
	rows = append(rows, [][2]string{
		{"  peak while accepting", fmt.Sprintf("RSS %.1f MiB, heap in use %.1f MiB (this process)", r.AcceptPeakRSSMiB, r.AcceptPeakHeapMiB)},
		{"202 -> first payout started", fmt.Sprintf("%.2f s", r.FirstStartS)},
		{"payouts started", started},
		{"campaign starts", fmt.Sprintf("%.1f starts/s over %.1f s (first half %.1f, second half %.1f)", r.StartsPS, r.StartS, r.FirstHalfPS, r.SecondHalfPS)},
		{"engine starts, before / after", fmt.Sprintf("%.1f / %.1f starts/s (%d plain starts of the payout workflow, 16 in flight)", r.CeilingPS, r.CeilingAfterPS, r.CeilingRuns)},
		{"ratio campaign/engine", fmt.Sprintf("%.2f", r.Ratio)},
		{"CPU ms per start, engine", cpuRow(r.CeilingCPU)},
		{"CPU ms per start, campaign", cpuRow(r.CampaignCPU) + "; acceptance included"},
		{"live heap, this process", fmt.Sprintf("%.1f MiB before the POST", r.HeapBeforeMiB)},
		{"  while starting", spreadRow(r.Heap)},
		{"RSS, this process, while starting", spreadRow(r.RSS)},
		{"RSS, dev server, while starting", spreadRow(r.DevServerRSS) + " (the engine's in-memory store of the workflows)"},
		{"campaign workflow runs", fmt.Sprintf("%d (continue-as-new past %d events)", r.Runs, r.HistoryBound)},
		{"history events per run", strings.Join(runs, ", ")},
		{"payouts run", "no: started on a task queue no worker polls; starting is what is measured"},
	}...)
	for _, row := range rows {
		fmt.Fprintf(w, "%s\t%s\n", row[0], row[1])
	}
	_ = w.Flush() // stdout
	fmt.Println()
	w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "s after 202\tstarted\tlive heap MiB\tRSS MiB\tdev server RSS MiB\t")
	for _, m := range sampleMemory(r.Memory, 12) {
		fmt.Fprintf(w, "%.0f\t%d\t%.1f\t%.1f\t%.1f\t\n", m.AtS, m.Started, m.HeapMiB, m.RSSMiB, m.DevServerMiB)
	}
	_ = w.Flush() // stdout
}

func spreadRow(s bench.Spread) string {
	return fmt.Sprintf("median %.1f, peak %.1f MiB; first half %.1f, second half %.1f", s.Median, s.Peak, s.FirstHalf, s.SecondHalf)
}

// sampleMemory keeps n samples spread over the run, the last one included.
func sampleMemory(all []bench.MemorySample, n int) []bench.MemorySample {
	if len(all) <= n {
		return all
	}
	out := make([]bench.MemorySample, 0, n)
	for i := range n {
		out = append(out, all[i*(len(all)-1)/(n-1)])
	}
	return out
}
