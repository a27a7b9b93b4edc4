package devtemporal_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/internal/devtemporal"
)

var (
	payoutStatus         = temporal.NewSearchAttributeKeyKeyword("PayoutStatus")
	payoutNeedsAttention = temporal.NewSearchAttributeKeyBool("PayoutNeedsAttention")
)

// upsertWorkflow sets the payout search attributes and completes.
func upsertWorkflow(ctx workflow.Context, status string) (string, error) {
	if err := workflow.UpsertTypedSearchAttributes(ctx,
		payoutStatus.ValueSet(status),
		payoutNeedsAttention.ValueSet(true),
	); err != nil {
		return "", err
	}
	return status, nil
}

// testWriter forwards the dev server's output to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("devserver: %s", p)
	return len(p), nil
}

func startServer(t *testing.T, opts devtemporal.Options) *devtemporal.Server {
	t.Helper()
	// The first run builds the dev server, which can take minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if _, err := devtemporal.Binary(ctx); err != nil {
		t.Fatal(err)
	}
	opts.Stderr = testWriter{t}
	began := time.Now()
	srv, err := devtemporal.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dev server ready in %s at %s (ui %q)", time.Since(began).Round(time.Millisecond), srv.HostPort(), srv.UIURL())
	t.Cleanup(func() {
		began := time.Now()
		if err := srv.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		t.Logf("dev server stopped in %s", time.Since(began).Round(time.Millisecond))
	})
	return srv
}

func TestDevServerSearchAttributes(t *testing.T) {
	srv := startServer(t, devtemporal.Options{UIPort: -1})

	// The Web UI is served.
	resp, err := http.Get(srv.UIURL())
	if err != nil {
		t.Fatalf("GET %s: %v", srv.UIURL(), err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", srv.UIURL(), resp.StatusCode)
	}

	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	taskQueue := "devtemporal-test-" + t.Name()
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(upsertWorkflow)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	workflowID := fmt.Sprintf("devtemporal-%d", time.Now().UnixNano())
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID, TaskQueue: taskQueue}, upsertWorkflow, "x")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}

	// Visibility is eventually consistent: poll a bounded number of times.
	query := fmt.Sprintf(`PayoutStatus = "x" AND PayoutNeedsAttention = true AND WorkflowId = %q`, workflowID)
	const attempts = 100
	for i := 1; ; i++ {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
		if err != nil {
			t.Fatalf("ListWorkflow(%s): %v", query, err)
		}
		if n := len(resp.GetExecutions()); n == 1 {
			t.Logf("found workflow via visibility after %d attempt(s)", i)
			break
		} else if n > 1 {
			t.Fatalf("ListWorkflow(%s): %d executions, want 1", query, n)
		}
		if i == attempts {
			t.Fatalf("ListWorkflow(%s): workflow not found after %d attempts", query, attempts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDevServerFileDBRestart checks that search attribute registration is
// idempotent against a database file that survives restarts.
func TestDevServerFileDBRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	for i := range 2 {
		srv := startServer(t, devtemporal.Options{DBFile: db, Namespaces: []string{"default", "payouts"}})
		c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: "payouts"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "payouts",
			Query:     `PayoutStatus = "processing" AND PayoutNeedsAttention = false`,
		})
		cancel()
		c.Close()
		if err != nil {
			t.Fatalf("run %d: query with payout search attributes: %v", i, err)
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("run %d: stop: %v", i, err)
		}
	}
}
