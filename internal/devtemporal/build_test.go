package devtemporal

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeGo stands in for the go tool: a four-package build whose -v lines
// come as the real one writes them, with a download line among them.
const fakeGo = `#!/bin/sh
echo "$*" >> "$FAKE_GO_LOG"
case "$1" in
env) printf 'go1.26\nlinux\namd64\n' ;;
list) printf 'x\nx\nx\nx\n' ;;
build)
	[ -n "$FAKE_GO_FAIL" ] && { echo '# example.com/devserver' >&2; echo './main.go:3:1: syntax error' >&2; exit 1; }
	while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
	echo 'go: downloading example.com/a v1.0.0' >&2
	for p in example.com/a example.com/b example.com/c example.com/devserver; do echo "$p" >&2; done
	echo binary > "$out" ;;
esac
`

func fakeRepo(t *testing.T) (root, log string) {
	t.Helper()
	root, tools := t.TempDir(), t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "devserver"), 0o755))
	for name, text := range map[string]string{"go.mod": "module example.com/devserver\n", "main.go": "package main\n"} {
		require.NoError(t, os.WriteFile(filepath.Join(root, "devserver", name), []byte(text), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(tools, "go"), []byte(fakeGo), 0o755))
	log = filepath.Join(tools, "log")
	t.Setenv("PATH", tools+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_GO_LOG", log)
	return root, log
}

func TestBuildSaysWhatItDoesShowsProgressAndIsSilentWhenCurrent(t *testing.T) {
	root, log := fakeRepo(t)
	var out bytes.Buffer
	bin, err := build(context.Background(), root, &out)
	require.NoError(t, err)
	text := out.String()
	first, _, _ := strings.Cut(text, "\n")
	assert.Contains(t, first, "temporal-dev is missing: building the Temporal dev server", "said before the build")
	assert.Contains(t, text, "about 6 minutes", "and how long it takes")
	assert.Contains(t, text, "[ 50%] 2/4 packages compiled")
	assert.Contains(t, text, "[100%] 4/4 packages compiled")
	assert.Contains(t, text, "go: downloading example.com/a v1.0.0", "other lines of the build are passed on")
	assert.Less(t, strings.Index(text, "about 6 minutes"), strings.Index(text, "packages compiled"))
	b, err := os.ReadFile(bin)
	require.NoError(t, err)
	assert.Equal(t, "binary\n", string(b))

	out.Reset()
	_, err = build(context.Background(), root, &out)
	require.NoError(t, err)
	assert.Empty(t, out.String(), "no noise when the binary is current")
	calls, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(calls), "build -v"), "and no go build either")

	require.NoError(t, os.WriteFile(filepath.Join(root, "devserver", "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	_, err = build(context.Background(), root, &out)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "temporal-dev is out of date")
}

func TestBuildFailureCarriesTheCompilerErrors(t *testing.T) {
	root, _ := fakeRepo(t)
	t.Setenv("FAKE_GO_FAIL", "1")
	_, err := build(context.Background(), root, nil)
	require.Error(t, err)
	assert.ErrorContains(t, err, "./main.go:3:1: syntax error")
	assert.NoFileExists(t, filepath.Join(root, "bin", binaryName))
}
