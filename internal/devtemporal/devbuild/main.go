// Command devbuild is `make devserver`: it builds bin/temporal-dev from
// devserver/ when it is missing or out of date, saying so first and showing
// progress, and prints nothing when it is current.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/heleket-payouts/payouts/internal/devtemporal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := devtemporal.Build(ctx, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
