package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// payoutSearchAttributes are the custom search attributes registered in every
// namespace of the dev server.
var payoutSearchAttributes = map[string]enumspb.IndexedValueType{
	"PayoutStatus":         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"PayoutClientID":       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"PayoutAsset":          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"PayoutNetwork":        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"PayoutOrigin":         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"PayoutNeedsAttention": enumspb.INDEXED_VALUE_TYPE_BOOL,
}

// namespaceRefreshWait covers the namespace registry refresh interval
// (dynamic config system.namespaceCacheRefreshInterval, default 2s): every
// service caches namespaces, including their search attribute aliases, so
// aliases added through the operator service reach e.g. the history service
// only after a refresh.
const namespaceRefreshWait = 3 * time.Second

// ensureSearchAttributes makes sure every namespace has the payouts search
// attributes with the right types, adding missing ones through the operator
// service, and then checks that the frontend accepts a visibility query that
// uses all of them. It doubles as the frontend readiness check.
func ensureSearchAttributes(ctx context.Context, conn *grpc.ClientConn, namespaces []string) error {
	op := operatorservice.NewOperatorServiceClient(conn)
	wf := workflowservice.NewWorkflowServiceClient(conn)

	added := false
	for _, ns := range namespaces {
		var current map[string]enumspb.IndexedValueType
		err := retry(ctx, "list search attributes in namespace "+ns, func(ctx context.Context) error {
			resp, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
			if err != nil {
				return err
			}
			current = resp.GetCustomAttributes()
			return nil
		})
		if err != nil {
			return err
		}

		missing := map[string]enumspb.IndexedValueType{}
		for _, name := range slices.Sorted(maps.Keys(payoutSearchAttributes)) {
			want := payoutSearchAttributes[name]
			got, ok := current[name]
			switch {
			case !ok:
				missing[name] = want
			case got != want:
				return fmt.Errorf("namespace %q: search attribute %s already exists with type %s, want %s",
					ns, name, got, want)
			}
		}
		if len(missing) == 0 {
			continue
		}
		added = true
		err = retry(ctx, "add search attributes to namespace "+ns, func(ctx context.Context) error {
			_, err := op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
				Namespace:        ns,
				SearchAttributes: missing,
			})
			return err
		})
		if err != nil {
			return err
		}
	}

	// The frontend rejects queries naming unknown search attributes, so a
	// successful count proves the aliases are resolvable.
	clauses := make([]string, 0, len(payoutSearchAttributes))
	for _, name := range slices.Sorted(maps.Keys(payoutSearchAttributes)) {
		if payoutSearchAttributes[name] == enumspb.INDEXED_VALUE_TYPE_BOOL {
			clauses = append(clauses, name+" = true")
		} else {
			clauses = append(clauses, name+" = 'devserver-probe'")
		}
	}
	query := strings.Join(clauses, " OR ")
	for _, ns := range namespaces {
		err := retry(ctx, "query search attributes in namespace "+ns, func(ctx context.Context) error {
			_, err := wf.CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
				Namespace: ns,
				Query:     query,
			})
			return err
		})
		if err != nil {
			return err
		}
	}

	if added {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(namespaceRefreshWait):
		}
	}
	return nil
}

// retry calls fn until it succeeds, ctx ends, or it fails with an error that
// cannot go away by waiting.
func retry(ctx context.Context, what string, fn func(context.Context) error) error {
	backoff := 20 * time.Millisecond
	for {
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := fn(callCtx)
		cancel()
		if err == nil {
			return nil
		}
		switch status.Code(err) {
		case codes.PermissionDenied, codes.Unauthenticated, codes.Unimplemented:
			return fmt.Errorf("%s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}
