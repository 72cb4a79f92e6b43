package main

// pynenc-status errors as a Go client reads them: status.FromError(err).Details() with
// genproto's errdetails (the README's error table). Needs a running server:
// PYNENC_STATUS_TARGET=HOST:PORT (skipped without it). Assertions are on codes, reasons and the
// statuses named, not on text.

import (
	"context"
	"crypto/rand"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	statusv1 "github.com/pynenc/pynenc-status/gen/go/pynenc/status/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func newClient(t *testing.T) statusv1.StatusServiceClient {
	t.Helper()
	target := os.Getenv("PYNENC_STATUS_TARGET")
	if target == "" {
		t.Skip("PYNENC_STATUS_TARGET is not set")
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return statusv1.NewStatusServiceClient(conn)
}

func transition(ctx context.Context, c statusv1.StatusServiceClient, inv string, s statusv1.InvocationStatus, runner *string) error {
	_, err := c.Transition(ctx, &statusv1.TransitionRequest{
		InvocationId: inv, Status: s, RunnerId: runner, TaskId: "examples.errors_test",
	}, grpc.WaitForReady(true))
	return err
}

// errorDetails returns the one ErrorInfo and the PreconditionFailure (nil if absent) of err.
func errorDetails(t *testing.T, err error) (*errdetails.ErrorInfo, *errdetails.PreconditionFailure) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("not a gRPC status: %v", err)
	}
	var infos []*errdetails.ErrorInfo
	var failure *errdetails.PreconditionFailure
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			infos = append(infos, d)
		case *errdetails.PreconditionFailure:
			failure = d
		case error: // a detail whose type is not linked in
			t.Fatalf("undecodable detail: %v", d)
		}
	}
	if len(infos) != 1 {
		t.Fatalf("want one ErrorInfo, got %v", st.Details())
	}
	return infos[0], failure
}

var statusWord = regexp.MustCompile(`[a-z_]+`)

// statusesNamed returns the status names in a text, whatever its format.
func statusesNamed(text string) map[string]bool {
	names := map[string]bool{}
	for n := range statusv1.InvocationStatus_value {
		names[strings.ToLower(strings.TrimPrefix(n, "INVOCATION_STATUS_"))] = true
	}
	delete(names, "unspecified")
	got := map[string]bool{}
	for _, w := range statusWord.FindAllString(strings.ReplaceAll(strings.ToLower(text), "invocation_status_", ""), -1) {
		if names[w] {
			got[w] = true
		}
	}
	return got
}

func sameSet(got map[string]bool, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !got[w] {
			return false
		}
	}
	return true
}

func TestInvalidTransition(t *testing.T) {
	c := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inv := "go-errors-" + rand.Text()
	if err := transition(ctx, c, inv, statusv1.InvocationStatus_INVOCATION_STATUS_REGISTERED, nil); err != nil {
		t.Fatal(err)
	}
	err := transition(ctx, c, inv, statusv1.InvocationStatus_INVOCATION_STATUS_RUNNING, proto.String("r1"))
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("code = %v, want FailedPrecondition (%v)", status.Code(err), err)
	}
	info, failure := errorDetails(t, err)
	if info.GetDomain() != "status.pynenc" || info.GetReason() != "INVALID_TRANSITION" {
		t.Fatalf("ErrorInfo = %v", info)
	}
	md := info.GetMetadata()
	allowed := []string{"pending", "concurrency_controlled", "concurrency_controlled_final"}
	if !sameSet(statusesNamed(md["from"]), "registered") || !sameSet(statusesNamed(md["to"]), "running") ||
		!sameSet(statusesNamed(md["allowed"]), allowed...) {
		t.Fatalf("metadata = %v", md)
	}
	if failure == nil || len(failure.GetViolations()) == 0 {
		t.Fatal("an invalid transition carries a PreconditionFailure")
	}
	var text strings.Builder
	for _, v := range failure.GetViolations() {
		text.WriteString(v.GetType() + " " + v.GetSubject() + " " + v.GetDescription() + " ")
	}
	named := statusesNamed(text.String())
	for _, a := range allowed {
		if !named[a] {
			t.Errorf("violations do not name %q: %v", a, failure)
		}
	}
}

func TestOwnershipViolation(t *testing.T) {
	cases := []struct {
		name   string
		setup  []statusv1.InvocationStatus // each done by runner "owner"
		to     statusv1.InvocationStatus
		runner string // "" = no runner
	}{
		// pending requires ownership: only its owner may move it on.
		{"another runner moves a pending invocation", []statusv1.InvocationStatus{statusv1.InvocationStatus_INVOCATION_STATUS_PENDING},
			statusv1.InvocationStatus_INVOCATION_STATUS_RUNNING, "intruder"},
		// pending acquires ownership, so a runner must be named to take it.
		{"pending without a runner", nil, statusv1.InvocationStatus_INVOCATION_STATUS_PENDING, ""},
	}
	c := newClient(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			inv := "go-errors-" + rand.Text()
			suffix := inv[len(inv)-8:] // unique runner ids, so the metadata check means something
			owner := "owner-" + suffix
			if err := transition(ctx, c, inv, statusv1.InvocationStatus_INVOCATION_STATUS_REGISTERED, nil); err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.setup {
				if err := transition(ctx, c, inv, s, &owner); err != nil {
					t.Fatal(err)
				}
			}
			before, err := c.Get(ctx, &statusv1.GetRequest{InvocationId: inv})
			if err != nil {
				t.Fatal(err)
			}
			var runner *string
			if tc.runner != "" {
				runner = proto.String(tc.runner + "-" + suffix)
			}
			err = transition(ctx, c, inv, tc.to, runner)
			if status.Code(err) != codes.FailedPrecondition {
				t.Fatalf("code = %v, want FailedPrecondition (%v)", status.Code(err), err)
			}
			info, _ := errorDetails(t, err)
			if info.GetDomain() != "status.pynenc" || info.GetReason() != "OWNERSHIP_VIOLATION" {
				t.Fatalf("ErrorInfo = %v", info)
			}
			var values strings.Builder
			for _, v := range info.GetMetadata() {
				values.WriteString(v + " ")
			}
			if len(tc.setup) > 0 && !strings.Contains(values.String(), owner) {
				t.Errorf("metadata does not name the owner %q: %v", owner, info.GetMetadata())
			}
			if runner != nil && !strings.Contains(values.String(), *runner) {
				t.Errorf("metadata does not name the runner %q: %v", *runner, info.GetMetadata())
			}
			after, err := c.Get(ctx, &statusv1.GetRequest{InvocationId: inv})
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(before.GetRecord(), after.GetRecord()) {
				t.Errorf("a rejected transition changed the record: %v -> %v", before, after)
			}
		})
	}
}
