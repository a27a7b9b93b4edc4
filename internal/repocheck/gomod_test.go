// Package repocheck holds tests about the repository itself: what a new
// user's first `make test` needs must be pinned in the module.
package repocheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/modfile"
)

func readGoMod(t *testing.T) *modfile.File {
	t.Helper()
	path := filepath.Join("..", "..", "go.mod")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := modfile.Parse(path, data, nil)
	require.NoError(t, err)
	return f
}

// The Makefile runs `go tool workflowcheck`: the tool must be pinned in
// go.mod, so the module download covers it and no test run fetches it.
func TestWorkflowcheckIsAModuleTool(t *testing.T) {
	f := readGoMod(t)
	var tools []string
	for _, tl := range f.Tool {
		tools = append(tools, tl.Path)
	}
	require.Contains(t, tools, "go.temporal.io/sdk/contrib/tools/workflowcheck")
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	require.NoError(t, err)
	require.Contains(t, string(mk), "$(GO) tool workflowcheck")
	require.NotContains(t, string(mk), "workflowcheck@", "the Makefile must not download the tool by version")
}

// After `go mod tidy` the packages the code imports are direct
// requirements; a go.mod whose every line is `// indirect` was never tidied.
func TestGoModIsTidy(t *testing.T) {
	f := readGoMod(t)
	direct := map[string]bool{}
	for _, r := range f.Require {
		if !r.Indirect {
			direct[r.Mod.Path] = true
		}
	}
	for _, want := range []string{"go.temporal.io/sdk", "github.com/jackc/pgx/v5", "github.com/go-chi/chi/v5",
		"github.com/kelseyhightower/envconfig", "github.com/stretchr/testify", "github.com/shopspring/decimal"} {
		require.True(t, direct[want], "%s must be a direct requirement (run go mod tidy)", want)
	}
	cmd := exec.Command("go", "mod", "tidy", "-diff")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go mod tidy -diff wants changes:\n%s", strings.TrimSpace(string(out)))
}
