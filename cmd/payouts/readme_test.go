package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/internal/testdb"
)

// exampleMarker precedes each README block that talks to a running
// `make dev`. Blocks without it are alternatives to `make dev` (running the
// pieces separately, docker compose, a standalone sandbox) or take minutes
// (benchmarks, chaos).
const exampleMarker = "<!-- example -->"

// runMainEnv makes the test binary behave as bin/payouts, so the README's
// CLI examples run this package's code without a separate build.
const runMainEnv = "PAYOUTS_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type readmeExample struct {
	line int // of the opening fence, 1-based
	code string
}

// TestREADMEExamples pastes the README's examples, in order, into one bash
// session, as a new user does after `make dev`: against a stack started by
// runDev itself on free ports, with a fresh database and state directory.
// Each must succeed (curl fails on any answer but 2xx), and what they create
// must reach the states the README promises.
func TestREADMEExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		_, err := exec.LookPath(tool)
		require.NoError(t, err, "the README's examples need %s on PATH (apt-get install %s)", tool, tool)
	}
	examples := readmeExamples(t, "../../README.md")
	require.GreaterOrEqual(t, len(examples), 7, "README.md marks its examples with %s", exampleMarker)
	stack := startDevStack(t)
	outputs := stack.run(t, examples)
	assert.Contains(t, strings.Join(outputs, ""), "PAYLOAD_KEYS is unset: using the make dev keys in .dev/payload-keys",
		"the CLI examples find the dev keys themselves")
	stack.checkPayouts(t)
	stack.checkBatch(t, outputs)
	stack.checkSchedule(t)
}

func readmeExamples(t *testing.T, path string) []readmeExample {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []readmeExample
	sc := bufio.NewScanner(f)
	marked, in, n := false, false, 0
	var cur readmeExample
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case in && strings.HasPrefix(line, "```"):
			out, in = append(out, cur), false
		case in:
			cur.code += line + "\n"
		case strings.TrimSpace(line) == exampleMarker:
			marked = true
		case marked && strings.HasPrefix(line, "```"):
			cur, in, marked = readmeExample{line: n}, true, false
		case marked && strings.TrimSpace(line) != "":
			t.Fatalf("%s:%d: %s must be followed by a fenced block", path, n, exampleMarker)
		}
	}
	require.NoError(t, sc.Err())
	require.False(t, in || marked, "%s: unterminated example", path)
	return out
}

type devStack struct {
	home    string // the user's checkout: bin/payouts and .dev/ live here
	api     string
	sandbox string
	token   string
}

// startDevStack runs `payouts dev` in this process the way `make dev`
// starts it, with nothing configured but addresses and the database.
func startDevStack(t *testing.T) *devStack {
	t.Helper()
	dsn := testdb.New(t)
	s := &devStack{home: t.TempDir(), api: freeAddr(t), sandbox: freeAddr(t)}
	set := map[string]string{
		"DATABASE_URL": dsn, "PAYOUTS_DEV_DIR": filepath.Join(s.home, ".dev"), "LOG_LEVEL": "warn",
		"HTTP_ADDR": s.api, "SANDBOX_ADDR": s.sandbox, "TEMPORAL_ADDRESS": freeAddr(t), "TEMPORAL_UI_ADDR": freeAddr(t),
	}
	for k, v := range set {
		t.Setenv(k, v)
	}
	for _, k := range []string{"LOG_FORMAT", "HELEKET_API_KEY", "HELEKET_MERCHANT_ID", "HELEKET_PROJECT_URL", "ADMIN_TOKENS",
		"PAYLOAD_KEYS", "PAYLOAD_KEY_ID", "CODEC_TOKEN", "PUBLIC_BASE_URL", "TEMPORAL_UI_URL", "TEMPORAL_TASK_QUEUE"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runDev(ctx, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("payouts dev stopped with: %v", err)
		}
	})
	s.waitReady(t, done)
	tokens, err := os.ReadFile(filepath.Join(s.home, ".dev", devAdminTokensFile))
	require.NoError(t, err, "payouts dev keeps its admin tokens in .dev/")
	parsed, err := config.ParseAdminTokens(strings.TrimSpace(string(tokens)))
	require.NoError(t, err)
	for _, tok := range parsed {
		if tok.Name == "admin" {
			s.token = tok.Token
		}
	}
	require.NotEmpty(t, s.token, "the banner's token is the admin one")
	s.writeBinPayouts(t)
	return s
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// waitReady waits for /readyz, or for runDev to give up. The bound only
// stops a broken start from hanging the test.
func (s *devStack) waitReady(t *testing.T, done <-chan error) {
	t.Helper()
	deadline := time.After(3 * time.Minute)
	for {
		resp, err := http.Get("http://" + s.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-done:
			t.Fatalf("payouts dev stopped before it was ready: %v", err)
		case <-deadline:
			t.Fatalf("payouts dev not ready on %s (last: %v)", s.api, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// writeBinPayouts puts bin/payouts in the checkout: this test binary,
// running main.
func (s *devStack) writeBinPayouts(t *testing.T) {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(s.home, "bin"), 0o755))
	script := fmt.Sprintf("#!/bin/sh\n%s=1 exec '%s' \"$@\"\n", runMainEnv, self)
	require.NoError(t, os.WriteFile(filepath.Join(s.home, "bin", "payouts"), []byte(script), 0o755))
}

// paste is what the user types: the README's text with the token from the
// banner and the stack's addresses in place of the defaults.
func (s *devStack) paste(code string) string {
	return strings.NewReplacer("<token>", s.token, "127.0.0.1:8080", s.api, "127.0.0.1:8090", s.sandbox).Replace(code)
}

// run runs every example in one bash session (variables carry over, as in
// a terminal) and returns each one's output. curl fails on a non-2xx
// answer and prints its body.
func (s *devStack) run(t *testing.T, examples []readmeExample) []string {
	t.Helper()
	const sep = "\n<<<example done>>>\n"
	var script strings.Builder
	// The user runs bin/payouts from the checkout, where .dev/ is: the
	// default PAYOUTS_DEV_DIR.
	script.WriteString("unset PAYOUTS_DEV_DIR\nset -eo pipefail\ncurl() { command curl --fail-with-body \"$@\"; }\n")
	for _, ex := range examples {
		fmt.Fprintf(&script, "%s\nprintf '%%s' '%s'\n", s.paste(ex.code), sep)
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = s.home
	out, err := cmd.CombinedOutput()
	outputs := strings.Split(string(out), sep)
	if err != nil {
		failed := len(outputs) - 1
		require.Less(t, failed, len(examples), "all examples ran, then: %v\n%s", err, out)
		t.Fatalf("README.md:%d: example failed (%v):\n%s\noutput:\n%s", examples[failed].line, err,
			examples[failed].code, outputs[failed])
	}
	return outputs[:len(examples)]
}

type payoutView struct {
	ID         string  `json:"id"`
	ClientID   string  `json:"client_id"`
	Origin     string  `json:"origin"`
	Status     string  `json:"status"`
	TxID       *string `json:"txid"`
	Commission *string `json:"commission"`
	RetryOf    *string `json:"retry_of"`
	RetriedAs  *string `json:"retried_as"`
}

var finalStatuses = map[string]bool{"paid": true, "failed": true, "cancelled": true, "rejected": true, "expired": true}

// checkPayouts: the README's payouts are paid with a txid and commission,
// except the one whose address the sandbox example forces to fail.
func (s *devStack) checkPayouts(t *testing.T) {
	t.Helper()
	var list struct {
		Items []payoutView `json:"items"`
	}
	s.eventually(t, "every payout final", func() bool {
		s.get(t, "/payouts?limit=500", &list)
		for _, p := range list.Items {
			if !finalStatuses[p.Status] {
				return false
			}
		}
		return true
	})
	origins := map[string]int{}
	for _, p := range list.Items {
		origins[p.Origin]++
		if p.ClientID == "44" && p.RetryOf == nil {
			assert.Equal(t, "failed", p.Status, "the sandbox example forces client 44's payout to fail")
			assert.NotNil(t, p.RetriedAs, "and the retry example retries it")
			continue
		}
		assert.Equal(t, "paid", p.Status, "payout %s of client %s", p.ID, p.ClientID)
		assert.NotNil(t, p.TxID, "a paid payout has a txid")
		assert.NotNil(t, p.Commission, "and a commission")
	}
	assert.GreaterOrEqual(t, origins["manual"], 2, "the first payout and the sandbox example's")
	assert.Equal(t, 2, origins["bonus"], "the batch's two rows")
}

func (s *devStack) checkBatch(t *testing.T, outputs []string) {
	t.Helper()
	id := ""
	for _, out := range outputs {
		var b struct {
			ID string `json:"id"`
		}
		for dec := json.NewDecoder(strings.NewReader(out)); dec.Decode(&b) == nil; {
			if strings.HasPrefix(b.ID, "bt") {
				id = b.ID
			}
		}
	}
	require.NotEmpty(t, id, "the batch example prints the batch")
	var batch struct {
		Rows       int  `json:"rows"`
		NotStarted int  `json:"not_started"`
		Done       bool `json:"done"`
	}
	s.get(t, "/payouts/batches/"+id, &batch)
	assert.Equal(t, 2, batch.Rows)
	assert.Zero(t, batch.NotStarted, "every row started")
	assert.True(t, batch.Done, "every row final")
}

func (s *devStack) checkSchedule(t *testing.T) {
	t.Helper()
	var list struct {
		Items []struct {
			ID       string      `json:"id"`
			State    string      `json:"state"`
			NextRuns []time.Time `json:"next_runs"`
		} `json:"items"`
	}
	s.get(t, "/clients/42/payout-schedules", &list)
	require.Len(t, list.Items, 1, "the schedule example's schedule")
	assert.Equal(t, "active", list.Items[0].State)
	assert.NotEmpty(t, list.Items[0].NextRuns)
}

func (s *devStack) get(t *testing.T, path string, into any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+s.api+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", path, body)
	require.NoError(t, json.Unmarshal(body, into), "GET %s", path)
}

// eventually polls cond; the bound only stops a payout that never settles
// from hanging the test (the sandbox settles in seconds).
func (s *devStack) eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not reached: %s", what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
