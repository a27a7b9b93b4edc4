package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"runtime/pprof"
	"slices"
	"text/tabwriter"

	"github.com/heleket-payouts/payouts/bench"
	"github.com/heleket-payouts/payouts/internal/devtemporal"
	"github.com/heleket-payouts/payouts/internal/testdb"
)

// runBench measures the payout path against the engine's ceiling; see
// docs/PERFORMANCE.md.
func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	n := fs.Int("n", 200, "payouts (and ceiling workflows) to run")
	c := fs.Int("c", 16, "requests in flight, the same for the ceiling and the product")
	jsonFile := fs.String("json", "", "also write the figures as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (API, worker, sandbox) to this file")
	shape := fs.String("temporal", bench.TemporalDev, "the Temporal the run starts: dev (the dev server on SQLite) or postgres (its PostgreSQL mode, on DATABASE_URL's server)")
	shards := fs.Int("temporal-shards", devtemporal.DefaultShards, "history shards of -temporal postgres")
	address := fs.String("temporal-address", "", "run on the Temporal at this host:port instead of starting one (payouts search attributes registered)")
	namespace := fs.String("temporal-namespace", "default", "namespace of -temporal-address")
	events := fs.String("events", bench.EventsOff, "subscribe a receiver of every outbound event: ok (answers at once) or hang (never answers); none by default")
	scale := addScaleFlags(fs)
	campaign := addBatchFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	dsn := os.Getenv("DATABASE_URL")
	if dsn == "" {
		dsn = testdb.DefaultDSN
	}
	if *campaign.rows > 0 {
		return runBenchBatch(ctx, campaign, dsn, *jsonFile)
	}
	if *scale.on {
		return runBenchScale(ctx, scale, *c, dsn, *jsonFile)
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	res, err := bench.Run(ctx, bench.Options{N: *n, Concurrency: *c, DatabaseURL: dsn, Progress: os.Stderr,
		Temporal: *shape, TemporalShards: *shards, TemporalAddress: *address, TemporalNamespace: *namespace, Events: *events})
	if err != nil {
		return err
	}
	printBench(res)
	if *jsonFile == "" {
		return nil
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encode figures: %w", err)
	}
	if err := os.WriteFile(*jsonFile, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *jsonFile, err)
	}
	return nil
}

func printBench(r bench.Result) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	rows := [][2]string{
		{"Temporal", r.Temporal},
		{"payouts / concurrency / CPUs", fmt.Sprintf("%d / %d / %d", r.Payouts, r.Concurrency, r.CPUs)},
		{"engine ceiling", fmt.Sprintf("%.1f workflows/s", r.CeilingPerSec)},
		{"product", fmt.Sprintf("%.1f payouts/s", r.PayoutsPerSec)},
		{"ratio product/ceiling", fmt.Sprintf("%.2f", r.Ratio)},
		{"outbound events receiver", eventsRow(r)},
		{"POST -> 202 p50/p95/p99", fmt.Sprintf("%.1f / %.1f / %.1f ms", r.AcceptP50Ms, r.AcceptP95Ms, r.AcceptP99Ms)},
		{"request -> final p50/p95/p99", fmt.Sprintf("%.1f / %.1f / %.1f ms", r.P50Ms, r.P95Ms, r.P99Ms)},
		{"history events per payout (ceiling)", fmt.Sprintf("%.1f (%.1f)", r.HistoryEventsPerPayout, r.CeilingHistoryEvents)},
		{"state transitions per payout (ceiling)", fmt.Sprintf("%.1f (%.1f)", r.StateTransitionsPerPayout, r.CeilingStateTransitions)},
		{"history bytes per payout", fmt.Sprintf("%.0f", r.HistoryBytesPerPayout)},
		{"SQL statements per payout", fmt.Sprintf("%.2f", r.SQLStatementsPerPayout)},
		{"Heleket calls per payout", fmt.Sprintf("%.2f", r.HeleketCallsPerPayout)},
		{"polls per payout", fmt.Sprintf("%.2f", r.PollsPerPayout)},
		{"webhooks per payout (redelivered)", fmt.Sprintf("%.2f (%.2f)", r.WebhooksPerPayout, r.WebhookRetriesPerPayout)},
		{"payouts not paid", fmt.Sprintf("%d", r.NotPaid)},
		{"CPU ms per workflow, ceiling", cpuRow(r.CeilingCPU)},
		{"CPU ms per payout, product", cpuRow(r.ProductCPU)},
	}
	if r.ProductCPU.TemporalTransactions > 0 {
		rows = append(rows, [2]string{"transactions in Temporal's databases per payout (ceiling)",
			fmt.Sprintf("%.1f (%.1f)", r.ProductCPU.TemporalTransactions, r.CeilingCPU.TemporalTransactions)})
	}
	for _, path := range slices.Sorted(maps.Keys(r.HeleketCallsByEndpoint)) {
		rows = append(rows, [2]string{"  Heleket " + path, fmt.Sprintf("%.2f per payout", r.HeleketCallsByEndpoint[path])})
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%s\t%s\n", row[0], row[1])
	}
	_ = w.Flush() // stdout
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(fmt.Errorf("CPU profile: %w", err), f.Close())
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "CPU profile: %v\n", err)
		}
	}, nil
}

func cpuRow(c bench.CPUCost) string {
	pg := fmt.Sprintf("%.1f", c.PostgresMs)
	if c.TemporalPostgresMs > 0 {
		pg += fmt.Sprintf(" of which Temporal's databases %.1f", c.TemporalPostgresMs)
	}
	return fmt.Sprintf("%.1f (dev server %.1f, Postgres %s, this process %.1f)", c.TotalMs, c.DevServerMs, pg, c.BenchMs)
}

func eventsRow(r bench.Result) string {
	switch r.Events {
	case bench.EventsOff:
		return "none subscribed"
	case bench.EventsHang:
		return "subscribed to every event, never answers"
	}
	return fmt.Sprintf("subscribed to every event, %d received by the time the payouts were final", r.EventsReceived)
}
