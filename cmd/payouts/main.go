// Command payouts is the whole service in one binary: payouts <subcommand>.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	run  func(ctx context.Context, args []string) error
	help string
}

// aliases are old command names kept so existing scripts and deploy files
// go on working; each use says what to call instead.
var aliases = map[string]string{
	"schedule": "reconcile-schedule",
}

var commands = map[string]command{
	"dev":                {runDev, "everything on a laptop: dev Temporal server + UI, migrations, sandbox, API and worker"},
	"api":                {runAPI, "the HTTP API"},
	"worker":             {runWorker, "the Temporal worker"},
	"migrate":            {runMigrate, "apply database migrations and exit"},
	"sandbox":            {runSandbox, "a local imitation of Heleket's payout API"},
	"reconcile":          {runReconcile, "run reconciliation now, print its progress and summary"},
	"reconcile-schedule": {runReconcileSchedule, "create or update the reconciliation schedule and exit"},
	"stuck":              {runStuck, "list running payouts in a non-final status for too long, with Temporal UI links"},
	"healthcheck":        {runHealthcheck, "probe a health URL (for container health checks)"},
	"bench":              {runBench, "measure payouts against the engine's ceiling (see docs/PERFORMANCE.md)"},
	"admin-token":        {runAdminToken, "make a new admin token and print the ADMIN_TOKENS_FILE line that grants it"},
}

var order = []string{"dev", "api", "worker", "migrate", "sandbox", "reconcile", "reconcile-schedule", "stuck", "healthcheck", "bench", "admin-token"}

func main() {
	var name string
	if len(os.Args) >= 2 {
		name = resolve(os.Args[1], os.Stderr)
	}
	if commands[name].run == nil {
		usage(os.Stderr)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := commands[name].run(ctx, os.Args[2:]); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "payouts %s: %v\n", name, err)
		os.Exit(1)
	}
}

// resolve maps a deprecated name to its command, with a notice on stderr
// (not stdout, which scripts may parse).
func resolve(name string, stderr io.Writer) string {
	if to, ok := aliases[name]; ok {
		fmt.Fprintf(stderr, "payouts %s is deprecated: use payouts %s\n", name, to)
		return to
	}
	return name
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: payouts <command> [flags]\n\ncommands:")
	for _, name := range order {
		fmt.Fprintf(w, "  %-18s %s\n", name, commands[name].help)
	}
	fmt.Fprintln(w, "\nsettings come from the environment; see README.md")
}
