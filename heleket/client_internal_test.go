package heleket

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := http.ParseTime(s)
	require.NoError(t, err)
	return tm
}

func TestParseRetryAfter(t *testing.T) {
	now := mustTime(t, "Wed, 21 Oct 2015 07:28:00 GMT")
	cases := []struct {
		in   string
		want string
	}{
		{"", "0s"},
		{"7", "7s"},
		{" 120 ", "2m0s"},
		{"0", "0s"},
		{"-3", "0s"},
		{"soon", "0s"},
		{"999999999999999999", "24h0m0s"},
		{"Wed, 21 Oct 2015 07:28:30 GMT", "30s"},
		{"Wed, 21 Oct 2015 07:27:00 GMT", "0s"},
		{"Thu, 22 Oct 2015 09:28:00 GMT", "24h0m0s"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, parseRetryAfter(tc.in, now).String(), "Retry-After %q", tc.in)
	}
}
