// Command go-watcher prints every status change of pynenc-status as one JSON line.
//
// It watches all invocations with WatchStatus and, when the stream breaks (server restart,
// UNAVAILABLE, or RESOURCE_EXHAUSTED for a watcher that fell behind), reconnects with backoff
// from the last revision it has seen + 1, so it misses nothing and repeats nothing.
//
//	go run . --target 127.0.0.1:50051 [--start-revision N] [--exit-after-idle S] [--progress]
//	         [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--token TOKEN]
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	statusv1 "github.com/pynenc/pynenc-status/gen/go/pynenc/status/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// changeLine is the stdout shape of one change.
type changeLine struct {
	Revision       uint64  `json:"revision"`
	InvocationID   string  `json:"invocation_id"`
	Status         string  `json:"status"`
	PreviousStatus string  `json:"previous_status"`
	RunnerID       *string `json:"runner_id"`
	Principal      string  `json:"principal"`
}

// bearerToken sends `authorization: Bearer TOKEN` with every call, over TLS only.
type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

func (bearerToken) RequireTransportSecurity() bool { return true }

// dialOptions are plaintext, or TLS (with a client certificate for mutual TLS) from PEM files,
// plus the bearer token when there is one.
func dialOptions(caFile, certFile, keyFile, token string) ([]grpc.DialOption, error) {
	if caFile == "" && certFile == "" {
		if token != "" {
			return nil, errors.New("--token needs TLS (--tls-ca): tokens are only sent over TLS")
		}
		return []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, nil
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		ca, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		config.RootCAs = x509.NewCertPool()
		if !config.RootCAs.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificate", caFile)
		}
	}
	if certFile != "" || keyFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		config.Certificates = []tls.Certificate{pair}
	}
	options := []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(config))}
	if token != "" {
		options = append(options, grpc.WithPerRPCCredentials(bearerToken(token)))
	}
	return options, nil
}

func main() {
	target := flag.String("target", "127.0.0.1:50051", "gRPC HOST:PORT of pynenc-status")
	start := flag.Uint64("start-revision", 0, "replay from this revision (0 = from now)")
	idle := flag.Float64("exit-after-idle", 0, "exit 0 after this many seconds without a change (0 = never)")
	progress := flag.Bool("progress", false, `also print progress events as {"progress": REVISION}`)
	tlsCA := flag.String("tls-ca", "", "speak TLS, trusting the server certificate this PEM CA signed")
	tlsCert := flag.String("tls-cert", "", "client certificate for mutual TLS (PEM; with --tls-key)")
	tlsKey := flag.String("tls-key", "", "the client certificate's private key (PEM)")
	token := flag.String("token", os.Getenv("PYNENC_STATUS_TOKEN"), "send authorization: Bearer TOKEN (default $PYNENC_STATUS_TOKEN)")
	flag.Parse()

	options, err := dialOptions(*tlsCA, *tlsCert, *tlsKey, *token)
	if err != nil {
		fatal(err)
	}
	conn, err := grpc.NewClient(*target, options...)
	if err != nil {
		fatal(err)
	}
	defer conn.Close()

	w := &watcher{
		client:   statusv1.NewStatusServiceClient(conn),
		out:      json.NewEncoder(os.Stdout),
		progress: *progress,
		next:     *start,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if *idle > 0 {
		w.idle = time.AfterFunc(time.Duration(*idle*float64(time.Second)), cancel)
		w.idleFor = time.Duration(*idle * float64(time.Second))
	}
	if err := w.run(ctx); err != nil && ctx.Err() == nil {
		fatal(err)
	}
	logf("exit", map[string]any{"next_revision": w.next})
}

type watcher struct {
	client   statusv1.StatusServiceClient
	out      *json.Encoder
	progress bool
	next     uint64 // the first revision not yet seen; 0 until one is known
	last     uint64 // the last revision printed, to flag disorder
	idle     *time.Timer
	idleFor  time.Duration
}

// run watches until ctx ends or an error that a reconnect cannot fix.
func (w *watcher) run(ctx context.Context) error {
	if w.next == 0 {
		// "From now" must be a concrete revision, or a reconnect before the first event could
		// miss changes: the list call reports the store revision, so watch from revision + 1.
		page, err := w.client.ListAvailableForRun(ctx, &statusv1.ListAvailableForRunRequest{PageSize: 1},
			grpc.WaitForReady(true))
		if err != nil {
			return err
		}
		w.next = page.GetRevision() + 1
	}
	backoff := 100 * time.Millisecond
	for {
		received, err := w.watchOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryable(err) {
			return err
		}
		if received {
			backoff = 100 * time.Millisecond
		}
		logf("reconnect", map[string]any{"error": errString(err), "from_revision": w.next, "in_ms": backoff.Milliseconds()})
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// watchOnce runs one stream from w.next; it reports whether any event arrived.
func (w *watcher) watchOnce(ctx context.Context) (bool, error) {
	// WaitForReady: while the server is down, wait for it instead of failing fast.
	stream, err := w.client.WatchStatus(ctx, &statusv1.WatchStatusRequest{StartRevision: w.next}, grpc.WaitForReady(true))
	if err != nil {
		return false, err
	}
	received := false
	for {
		resp, err := stream.Recv()
		if err != nil {
			return received, err
		}
		received = true
		switch ev := resp.GetEvent().(type) {
		case *statusv1.WatchStatusResponse_Change:
			w.printChange(ev.Change)
		case *statusv1.WatchStatusResponse_Progress:
			// Everything up to this revision has been sent: a reconnect may start after it.
			w.next = max(w.next, ev.Progress.GetRevision()+1)
			if w.progress {
				if err := w.out.Encode(map[string]uint64{"progress": ev.Progress.GetRevision()}); err != nil {
					fatal(err)
				}
			}
		}
	}
}

func (w *watcher) printChange(c *statusv1.StatusChange) {
	rec := c.GetRecord()
	rev := rec.GetRevision()
	if rev <= w.last {
		// The server promises revision order with no duplicates; say so if it breaks that.
		logf("out_of_order", map[string]any{"revision": rev, "after": w.last})
	}
	line := changeLine{
		Revision:       rev,
		InvocationID:   rec.GetInvocationId(),
		Status:         rec.GetStatus().String(),
		PreviousStatus: c.GetPreviousStatus().String(),
		RunnerID:       rec.RunnerId, // nil (JSON null) when the record has no owner
		Principal:      c.GetPrincipal(),
	}
	if err := w.out.Encode(line); err != nil {
		fatal(err) // stdout closed: nobody is listening any more
	}
	w.last = rev
	w.next = max(w.next, rev+1)
	if w.idle != nil {
		w.idle.Reset(w.idleFor)
	}
}

// retryable tells the stream ends that a resume from w.next fixes.
func retryable(err error) bool {
	if errors.Is(err, io.EOF) { // the server ended the stream cleanly, e.g. on shutdown
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, // server restarting or unreachable
		codes.ResourceExhausted,       // WATCHER_TOO_SLOW: we fell behind; resume where we are
		codes.Internal, codes.Unknown, // connection reset mid-stream
		codes.Aborted, codes.DeadlineExceeded:
		return true
	}
	return false // e.g. OUT_OF_RANGE (REVISION_COMPACTED): resuming would silently skip changes
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// logf writes one JSON log line to stderr (stdout carries only changes).
func logf(event string, fields map[string]any) {
	fields["event"] = event
	b, _ := json.Marshal(fields)
	fmt.Fprintln(os.Stderr, string(b))
}

func fatal(err error) {
	fields := map[string]any{"error": err.Error(), "code": status.Code(err).String()}
	logf("fatal", fields)
	os.Exit(1)
}
