// Command loadgen keeps N unary calls in flight against a pynenc-status server for a while and
// prints what it did as one JSON line. It is the load side of `npm run bench`: a Go client costs
// far less per call than a Node one, so the server, not the client, is what gets measured.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	statusv1 "github.com/pynenc/pynenc-status/gen/go/pynenc/status/v1"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

type result struct {
	Calls   int64   `json:"calls"`
	Items   int64   `json:"items"` // invocations claimed (claim), registered (register) or listed (list, snapshot)
	Errors  int64   `json:"errors"`
	Seconds float64 `json:"seconds"`
	// Latency of the calls that succeeded (list: of each page; snapshot: of the whole snapshot).
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
	MaxMs float64 `json:"maxMs"`
}

// percentileMs is the p-th percentile of sorted durations, in milliseconds.
func percentileMs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return float64(sorted[i].Microseconds()) / 1000
}

// listAll pages through ListAvailableForRun to the end (or the deadline), 1000 a page, timing each page.
func listAll(ctx context.Context, status statusv1.StatusServiceClient, deadline time.Time, latencies *[]time.Duration) (int64, error) {
	var items int64
	token := ""
	for time.Now().Before(deadline) {
		t0 := time.Now()
		page, err := status.ListAvailableForRun(ctx, &statusv1.ListAvailableForRunRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			return items, err
		}
		*latencies = append(*latencies, time.Since(t0))
		items += int64(len(page.GetRecords()))
		if token = page.GetNextPageToken(); token == "" {
			return items, nil
		}
	}
	return items, nil
}

// snapshot reads a WatchStatus include_initial snapshot of every record, up to its progress mark.
func snapshot(ctx context.Context, status statusv1.StatusServiceClient) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := status.WatchStatus(ctx, &statusv1.WatchStatusRequest{IncludeInitial: true})
	if err != nil {
		return 0, err
	}
	var items int64
	for {
		event, err := stream.Recv()
		if err != nil {
			return items, err
		}
		if event.GetProgress() != nil {
			return items, nil
		}
		items++
	}
}

// lifecycle is the order a runner moves an invocation in; every step is one Transition.
var lifecycle = []struct {
	status statusv1.InvocationStatus
	owned  bool
}{
	{statusv1.InvocationStatus_INVOCATION_STATUS_REGISTERED, false},
	{statusv1.InvocationStatus_INVOCATION_STATUS_PENDING, true},
	{statusv1.InvocationStatus_INVOCATION_STATUS_RUNNING, true},
	{statusv1.InvocationStatus_INVOCATION_STATUS_SUCCESS, true},
}

func main() {
	target := flag.String("target", "127.0.0.1:50051", "the server's gRPC port; several, comma-separated, share the calls (replicas)")
	method := flag.String("method", "noop", "noop (grpc.health.v1.Health/Check), transition (lifecycles), register, "+
		"claim (until nothing is left), get (of invocation PREFIX), describe, list (every ListAvailableForRun page) "+
		"or snapshot (a WatchStatus include_initial of every record)")
	inFlight := flag.Int("in-flight", 16, "calls kept in flight")
	duration := flag.Duration("duration", 3*time.Second, "how long to keep calling")
	prefix := flag.String("prefix", "bench", "invocation id prefix (unique per run)")
	connections := flag.Int("connections", 1, "HTTP/2 connections to spread calls over")
	batch := flag.Int("batch", 10, "max_count of each ClaimAvailable (claim)")
	tlsCA := flag.String("tls-ca", "", "speak TLS, trusting the server certificate this PEM CA signed")
	tlsCert := flag.String("tls-cert", "", "client certificate for mutual TLS (PEM; with -tls-key)")
	tlsKey := flag.String("tls-key", "", "the client certificate's private key (PEM)")
	token := flag.String("token", "", "send authorization: Bearer TOKEN with every call (TLS only)")
	flag.Parse()
	dial, err := dialOptions(*tlsCA, *tlsCert, *tlsKey, *token)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	targets := strings.Split(*target, ",")
	conns := make([]*grpc.ClientConn, 0, len(targets)**connections)
	for i := 0; i < *connections; i++ {
		for _, t := range targets {
			conn, err := grpc.NewClient(t, dial...)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			defer conn.Close()
			conns = append(conns, conn)
		}
	}

	var calls, errors, items atomic.Int64
	latencies := make([][]time.Duration, *inFlight)
	// Calls carry no deadline (a server rounding it would fail calls early); the loop just stops.
	ctx := context.Background()
	deadline := time.Now().Add(*duration)
	runner := "bench-runner"
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *inFlight; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			conn := conns[w%len(conns)]
			health := healthpb.NewHealthClient(conn)
			status := statusv1.NewStatusServiceClient(conn)
			for i := 0; time.Now().Before(deadline); i++ {
				var err error
				t0 := time.Now()
				timed := true
				switch *method {
				case "noop":
					_, err = health.Check(ctx, &healthpb.HealthCheckRequest{})
				case "describe":
					_, err = status.DescribeStateMachine(ctx, &statusv1.DescribeStateMachineRequest{})
				case "get":
					_, err = status.Get(ctx, &statusv1.GetRequest{InvocationId: *prefix})
				case "list":
					var listed int64
					listed, err = listAll(ctx, status, deadline, &latencies[w])
					items.Add(listed)
					timed = false
				case "snapshot":
					var listed int64
					listed, err = snapshot(ctx, status)
					items.Add(listed)
				case "register":
					_, err = status.Transition(ctx, &statusv1.TransitionRequest{
						InvocationId: fmt.Sprintf("%s-%d-%d", *prefix, w, i),
						Status:       statusv1.InvocationStatus_INVOCATION_STATUS_REGISTERED,
					})
					if err == nil {
						items.Add(1)
					}
				case "claim":
					var claimed *statusv1.ClaimAvailableResponse
					claimed, err = status.ClaimAvailable(ctx, &statusv1.ClaimAvailableRequest{
						RunnerId: fmt.Sprintf("%s-runner-%d", *prefix, w), MaxCount: int32(*batch),
					})
					if err == nil {
						items.Add(int64(len(claimed.GetRecords())))
						if len(claimed.GetRecords()) == 0 {
							calls.Add(1)
							return // nothing left to claim
						}
					}
				default:
					step := lifecycle[i%len(lifecycle)]
					req := &statusv1.TransitionRequest{
						InvocationId: fmt.Sprintf("%s-%d-%d", *prefix, w, i/len(lifecycle)),
						Status:       step.status,
					}
					if step.owned {
						req.RunnerId = &runner
					}
					_, err = status.Transition(ctx, req)
				}
				if err != nil {
					if errors.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "first error:", err)
					}
				} else {
					calls.Add(1)
					if timed {
						latencies[w] = append(latencies[w], time.Since(t0))
					}
				}
			}
		}(w)
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	out, _ := json.Marshal(result{
		Calls: calls.Load(), Items: items.Load(), Errors: errors.Load(), Seconds: time.Since(start).Seconds(),
		P50Ms: percentileMs(all, 50), P99Ms: percentileMs(all, 99), MaxMs: percentileMs(all, 100),
	})
	fmt.Println(string(out))
}
