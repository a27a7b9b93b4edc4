package httpapi

import (
	"net/http"

	"github.com/heleket-payouts/payouts/metrics"
)

// codecMaxBody matches the bound codec.Handler puts on what it reads.
const codecMaxBody = 8 << 20

// WithOps serves the operations endpoints next to the API: GET /metrics
// (Prometheus, no auth: it holds no ids or amounts) and, when codec is not
// nil, the payload codec under /codec/ (it checks its own tokens). They are
// not part of the documented API, and the codec's path token must not
// reach the request log, so they sit outside the API router.
func WithOps(api, codec http.Handler) http.Handler {
	mux := http.NewServeMux()
	// Bodies are bounded here too, before any token is checked: /metrics
	// takes none, and the codec's own bound is 8 MiB (codec.Handler).
	mux.Handle("GET /metrics", limitBody(maxBody, metrics.Handler()))
	if codec != nil {
		mux.Handle("/codec/", limitBody(codecMaxBody, http.StripPrefix("/codec", codec)))
	}
	mux.Handle("/", api)
	return mux
}
