// Command payouts is the whole service in one binary: payouts <subcommand>.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	run  func(ctx context.Context, args []string) error
	help string
}

var commands = map[string]command{
	"dev":         {runDev, "everything on a laptop: dev Temporal server + UI, migrations, sandbox, API and worker"},
	"api":         {runAPI, "the HTTP API"},
	"worker":      {runWorker, "the Temporal worker"},
	"migrate":     {runMigrate, "apply database migrations and exit"},
	"sandbox":     {runSandbox, "a local imitation of Heleket's payout API"},
	"reconcile":   {runReconcile, "run reconciliation now, print its progress and summary"},
	"schedule":    {runSchedule, "create or update the reconciliation schedule and exit"},
	"stuck":       {runStuck, "list running payouts in a non-final status for too long, with Temporal UI links"},
	"healthcheck": {runHealthcheck, "probe a health URL (for container health checks)"},
	"bench":       {runBench, "measure payouts against the engine's ceiling (see docs/PERFORMANCE.md)"},
}

var order = []string{"dev", "api", "worker", "migrate", "sandbox", "reconcile", "schedule", "stuck", "healthcheck", "bench"}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]].run == nil {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := commands[os.Args[1]].run(ctx, os.Args[2:]); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "payouts %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: payouts <command> [flags]\n\ncommands:")
	for _, name := range order {
		fmt.Fprintf(os.Stderr, "  %-11s %s\n", name, commands[name].help)
	}
	fmt.Fprintln(os.Stderr, "\nsettings come from the environment; see README.md")
}
