package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/heleket-payouts/payouts/bench"
)

// scaleFlags are the flags of payouts bench -scale; -c and -json are
// shared with the plain benchmark.
type scaleFlags struct {
	on       *bool
	rows     *int
	requests *int
	webhooks *int
	plans    *bool
	keep     *bool
}

func addScaleFlags(fs *flag.FlagSet) scaleFlags {
	return scaleFlags{
		on:       fs.Bool("scale", false, "scale mode: admin list/stats latency on a large table and webhook ingestion, instead of the payout path"),
		rows:     fs.Int("rows", 1_000_000, "-scale: payouts to fill the table with"),
		requests: fs.Int("requests", 50, "-scale: timed requests per admin query"),
		webhooks: fs.Int("webhooks", 5000, "-scale: webhooks per ingestion variant (0 skips ingestion)"),
		plans:    fs.Bool("plans", true, "-scale: print EXPLAIN (ANALYZE, BUFFERS) of every statement"),
		keep:     fs.Bool("keep", false, "-scale: keep the filled database and print its DSN, to try plans by hand"),
	}
}

func runBenchScale(ctx context.Context, f scaleFlags, concurrency int, dsn, jsonFile string) error {
	res, err := bench.RunScale(ctx, bench.ScaleOptions{Rows: *f.rows, Requests: *f.requests, Webhooks: *f.webhooks,
		Concurrency: concurrency, DatabaseURL: dsn, Progress: os.Stderr, Keep: *f.keep})
	if err != nil {
		return err
	}
	printScale(res, *f.plans)
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

func printScale(r bench.ScaleResult, plans bool) {
	fmt.Printf("payouts table: %d rows, %.0f MB + %.0f MB of indexes, filled and vacuumed in %.0f s; CPUs %d\n\n",
		r.Rows, r.TableMB, r.IndexesMB, r.FillSeconds, r.CPUs)
	if r.KeptDSN != "" {
		fmt.Printf("database kept (drop it when done): %s\n\n", r.KeptDSN)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "query\tp50 ms\tp95 ms\tmax ms\titems\tSQL\tseq scan on payouts\tscans")
	for _, q := range r.Queries {
		fmt.Fprintf(w, "%s\t%.1f\t%.1f\t%.1f\t%d\t%d\t%s\t%s\n", q.Name, q.P50Ms, q.P95Ms, q.MaxMs, q.Items, q.SQLCount,
			yesNo(q.SeqScan), strings.Join(compactScans(q.Indexes), "; "))
	}
	_ = w.Flush() // stdout
	x := r.Export
	fmt.Printf("\nGET %s: %d rows, %.1f MiB in %.1f s (%.0f rows/s); live heap %.1f MiB before, peak %.1f; RSS %.0f MiB before, peak %.0f (%d samples)\n",
		x.Path, x.Rows, float64(x.Bytes)/(1<<20), x.Seconds, x.RowsPerSecond, x.HeapBeforeMiB, x.Heap.Peak,
		x.RSSBeforeMiB, x.RSS.Peak, len(x.Samples))
	if len(r.Webhooks) > 0 {
		fmt.Println()
		w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "webhooks\tcount\tin flight\twebhooks/s\tp50 ms\tp99 ms\tSQL per webhook\tanswers")
		for _, h := range r.Webhooks {
			var answers []string
			for _, k := range slices.Sorted(maps.Keys(h.Answers)) {
				answers = append(answers, fmt.Sprintf("%s %d", k, h.Answers[k]))
			}
			fmt.Fprintf(w, "%s\t%d\t%d\t%.0f\t%.1f\t%.1f\t%.2f\t%s\n", h.Variant, h.Webhooks, h.Concurrency, h.PerSec,
				h.P50Ms, h.P99Ms, h.SQLPerWebhook, strings.Join(answers, ", "))
		}
		_ = w.Flush() // stdout
	}
	if !plans {
		return
	}
	for _, q := range r.Queries {
		for i, plan := range q.Plans {
			fmt.Printf("\n=== %s  GET %s  (statement %d of %d)\n%s\n%s\n", q.Name, q.Path, i+1, len(q.Plans), q.SQL[i], plan)
		}
	}
}

// compactScans drops repeats, keeping the order of first appearance.
func compactScans(scans []string) []string {
	var out []string
	for _, s := range scans {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "no"
}
