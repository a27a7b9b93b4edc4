package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadStatOfThisProcess(t *testing.T) {
	st, err := readStat("self")
	require.NoError(t, err)
	name := filepath.Base(os.Args[0])
	assert.Equal(t, name[:min(len(name), 15)], st.comm, "the kernel keeps 15 bytes of the name")
	assert.Equal(t, strconv.Itoa(os.Getppid()), st.parent)

	_, err = readStat("0")
	assert.Error(t, err, "no process 0 in /proc")
}
