// Command eventingestor is EventIngestor's single binary: the operator, a
// partition's server, a whole local cluster, the load generator, the
// verifier and the WAL inspector are its subcommands.
//
// Flags are defined and parsed here and nowhere else: packages register
// their flags on the FlagSet they are given and take validated Config
// structs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/eventingestor/eventingestor/controllers"
	"github.com/eventingestor/eventingestor/ingestor/bench"
	"github.com/eventingestor/eventingestor/ingestor/event"
	"github.com/eventingestor/eventingestor/ingestor/localcluster"
	"github.com/eventingestor/eventingestor/ingestor/partition"
	"github.com/eventingestor/eventingestor/ingestor/pod"
	"github.com/eventingestor/eventingestor/ingestor/ring"
	"github.com/eventingestor/eventingestor/ingestor/server"
	"github.com/eventingestor/eventingestor/ingestor/sink"
	"github.com/eventingestor/eventingestor/ingestor/verify"

	"github.com/eventingestor/eventingestor/ingestor/wal"
	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "eventingestor:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "eventingestor",
		Short:         "Durable, sharded event ingestion on Kubernetes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newDevCommand(), newBenchCommand(), newVerifyCommand(), newWALCommand())
	root.AddCommand(newOperatorCommand())
	return root
}

// logOptions are the logging flags shared by the long-running commands.
type logOptions struct {
	format string
	level  slog.Level
}

func (o *logOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "log-format", "text", `log format: "text" or "json"`)
	fs.TextVar(&o.level, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
}

func (o *logOptions) logger() (*slog.Logger, error) {
	hopts := &slog.HandlerOptions{Level: o.level}
	switch o.format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, hopts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", o.format)
}

// signalContext is canceled by SIGTERM or SIGINT.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
}

// dataPlaneFlags are the flags of one partition's data plane, shared by
// serve and dev.
type dataPlaneFlags struct {
	part partition.Config
	srv  server.Config
	ev   event.Config
	snk  sink.Config
}

func (d *dataPlaneFlags) register(fs *pflag.FlagSet) {
	d.part.RegisterFlags(fs)
	d.srv.RegisterFlags(fs)
	d.ev.RegisterFlags(fs)
	d.snk.RegisterFlags(fs)
	// Secrets never go on command lines: the webhook's Authorization header
	// comes from the environment (a Secret in Kubernetes).
	d.snk.Webhook.Authorization = os.Getenv(sink.WebhookAuthorizationEnv)
}

func newServeCommand() *cobra.Command {
	var (
		dp         dataPlaneFlags
		logs       logOptions
		ringFile   ring.FileConfig
		cfg        pod.Config
		podName    string
		partitions int
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run one partition: the process of each pod of an EventIngestorCluster",
		Long: "Run one partition of the ring: ingest API, forwarding to owner partitions, write-ahead logs, " +
			"flushers and sink. The partition ordinal comes from --partition or from the pod name NAME-N; " +
			"the ring from --ring.file (the operator's ConfigMap) or from --partitions.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := logs.logger()
			if err != nil {
				return err
			}
			if cfg.Partition < 0 {
				if cfg.Partition, err = pod.OrdinalFromName(podName); err != nil {
					return fmt.Errorf("set --partition or --pod-name: %w", err)
				}
			}
			src, runRing, err := ringSource(ringFile, partitions, logger)
			if err != nil {
				return err
			}
			cfg.Partitions, cfg.Server, cfg.Event, cfg.Sink = dp.part, dp.srv, dp.ev, dp.snk
			limit := pod.CgroupMemoryLimit()
			if goLimit := pod.FitMemory(&cfg, limit, cmd.Flags().Changed); goLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(goLimit)
				logger.Info("fitted to the container's memory limit", "limit", limit, "goMemLimit", goLimit,
					"maxInflightBytes", cfg.Server.MaxInflightBytes, "forwardMaxQueuedBytes", cfg.Server.Forward.MaxQueuedBytes)
			}
			p, err := pod.New(cfg, pod.Options{Ring: src, Logger: logger})
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			go runRing(ctx)
			return p.Run(ctx)
		},
	}
	fs := cmd.Flags()
	dp.register(fs)
	logs.register(fs)
	ringFile.RegisterFlags(fs)
	hostname, _ := os.Hostname()
	fs.StringVar(&podName, "pod-name", envOr("POD_NAME", hostname), "pod name NAME-N; the partition is N unless --partition is set")
	fs.IntVar(&cfg.Partition, "partition", -1, "partition ordinal (-1: from --pod-name)")
	fs.IntVar(&partitions, "partitions", 0, "number of partitions of a static ring (when there is no --ring.file)")
	fs.StringVar(&cfg.DataDir, "data-dir", "/var/lib/eventingestor", "directory of the write-ahead logs (DATA_DIR/wal) and file-sink files (DATA_DIR/sink)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long to drain requests and flush before exiting")
	return cmd
}

// ringSource is the ring file if one is set, else a static ring of n
// partitions. run keeps a file source up to date until its context ends.
func ringSource(fc ring.FileConfig, n int, logger *slog.Logger) (ring.Source, func(context.Context), error) {
	if fc.Path == "" {
		if n < 1 {
			return nil, nil, errors.New("set --ring.file or --partitions")
		}
		r := ring.Ring{Epoch: 1, Partitions: n, Phase: ring.PhaseStable}
		if err := r.Validate(); err != nil {
			return nil, nil, fmt.Errorf("invalid --partitions: %w", err)
		}
		return ring.NewStatic(r), func(context.Context) {}, nil
	}
	if err := fc.Validate(); err != nil {
		return nil, nil, err
	}
	f, err := ring.NewFile(fc, logger)
	if err != nil {
		return nil, nil, err
	}
	return f, func(ctx context.Context) { _ = f.Run(ctx) }, nil
}

func newDevCommand() *cobra.Command {
	var (
		dp   dataPlaneFlags
		logs logOptions
		cfg  localcluster.Config
	)
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a whole cluster on this machine, no Kubernetes: one loopback listener per partition",
		Long: "Run a whole EventIngestor cluster in one process: each partition has its own HTTP listener on " +
			"loopback (--base-port + N), its own data directory under --data-dir, and forwards to the others " +
			"over real HTTP. The file sink is the default; its files are under DATA_DIR/pN/sink.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := logs.logger()
			if err != nil {
				return err
			}
			cfg.Pod.Partitions, cfg.Pod.Server, cfg.Pod.Event, cfg.Pod.Sink = dp.part, dp.srv, dp.ev, dp.snk
			c, err := localcluster.Start(cfg, logger)
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			printDevBanner(cmd.OutOrStdout(), c, cfg)
			select {
			case <-ctx.Done():
			case err := <-c.Errors():
				logger.Error("a partition stopped serving", "err", err)
			}
			logger.Info("stopping the local cluster")
			sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			return c.Stop(sctx)
		},
	}
	fs := cmd.Flags()
	dp.register(fs)
	logs.register(fs)
	fs.IntVar(&cfg.Partitions, "partitions", 3, "number of partitions")
	fs.StringVar(&cfg.DataDir, "data-dir", "data", "data directory (one pN subdirectory per partition)")
	fs.IntVar(&cfg.BasePort, "base-port", 8080, "partition N listens on base-port+N (0: free ports)")
	fs.StringVar(&cfg.Host, "host", "127.0.0.1", "listen address")
	// Defaults for a laptop: every partition shares this machine's CPUs,
	// and events look like the seed's (keyed by user_id).
	_ = fs.Set("shards", "1")
	_ = fs.Set("event.key-field", "user_id")
	return cmd
}

func printDevBanner(w io.Writer, c *localcluster.Cluster, cfg localcluster.Config) {
	urls := c.URLs()
	fmt.Fprintf(w, "EventIngestor local cluster: %d partitions, data in %s, %s sink\n", len(urls), cfg.DataDir, cfg.Pod.Sink.Type)
	for i, u := range urls {
		fmt.Fprintf(w, "  partition %d  %s   (status: %s/v1/status, metrics: %s/metrics)\n", i, u, u, u)
	}
	fmt.Fprintf(w, "Send events to any partition:\n  curl -XPOST -H 'Content-Type: application/json' -d '{\"id\":\"1\",\"%s\":\"1\"}' %s/v1/events\n",
		cfg.Pod.Event.KeyField, urls[0])
	fmt.Fprintf(w, "Run the seed's stress test and check it:\n  bin/eventingestor bench --target %s --record data/bench.ndjson\n  bin/eventingestor verify --sink-dir %s --record data/bench.ndjson\nCtrl-C stops the cluster (it flushes first).\n",
		strings.Join(urls, ","), cfg.DataDir)
}

func newBenchCommand() *cobra.Command {
	var cfg bench.Config
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load generator: the seed's stress test (100,000 events from 2,000 senders) and more",
		Long: "Send events to a cluster and report events/s, requests/s, latency percentiles and errors by status. " +
			"The default is the seed's stress test: 100,000 events, each a random pick of the six seed events " +
			"with a unique id, from 2,000 concurrent senders, one event per request. --record writes what was " +
			"acknowledged, for `eventingestor verify`. --baseline first runs the same load against a bare " +
			"handler that only answers 202, and reports the ratio.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			_, err := bench.Run(ctx, cfg, cmd.OutOrStdout())
			return err
		},
	}
	cfg.RegisterFlags(cmd.Flags())
	return cmd
}

func newVerifyCommand() *cobra.Command {
	var (
		cfg     verify.Config
		jsonOut bool
	)
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check a file sink against a bench record: lost, duplicated and per-key reordered events",
		Long: "Read the file sink under --sink-dir (recursively) and the acknowledged events of a bench run " +
			"(--record). Report acknowledged events missing from the sink, duplicates, and per-key order " +
			"violations (an event sent after another of its key was acknowledged must follow it in the sink). " +
			"Exits non-zero on any loss or reordering.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			rep, err := verify.Run(ctx, cfg)
			if err != nil {
				return err
			}
			if jsonOut {
				b, err := rep.JSON()
				if err != nil {
					return err
				}
				_, _ = fmt.Fprintln(cmd.OutOrStdout(), string(b))
			} else if err := rep.Print(cmd.OutOrStdout()); err != nil {
				return err
			}
			if !rep.OK() {
				return errors.New("verification failed")
			}
			return nil
		},
	}
	cfg.RegisterFlags(cmd.Flags())
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the report as JSON")
	return cmd
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newWALCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "wal", Short: "Inspect a partition's write-ahead log"}
	var opts wal.DumpOptions
	dump := &cobra.Command{
		Use:   "dump DIR",
		Short: "Print a shard's WAL: checkpoint, segments and (with --records) records; changes nothing",
		Long: "Print a shard's write-ahead log without changing it. DIR is a shard directory " +
			"(DATA_DIR/shard-NN) or a partition directory, whose shards are all dumped.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return wal.DumpTree(cmd.OutOrStdout(), walfs.OS{}, args[0], opts)
		},
	}
	dump.Flags().BoolVar(&opts.Records, "records", false, "print one line per record")
	dump.Flags().BoolVar(&opts.Data, "data", false, "with --records, print each event's JSON too")
	cmd.AddCommand(dump)
	return cmd
}

// newOperatorCommand is `eventingestor operator`: the controller manager that
// reconciles EventIngestorClusters (package controllers).
func newOperatorCommand() *cobra.Command {
	var cfg controllers.ManagerConfig
	cmd := &cobra.Command{
		Use:   "operator",
		Short: "Run the Kubernetes operator: reconcile EventIngestorClusters into StatefulSets, Services and rings",
		Long: "Run the controller manager of the operator, in a cluster (in-cluster configuration) or outside " +
			"(--kubeconfig, $KUBECONFIG or ~/.kube/config), with leader election, Prometheus metrics and health probes.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return controllers.RunManager(cmd.Context(), cfg)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.MetricsBindAddress, "metrics-bind-address", ":8080", `address of the Prometheus /metrics endpoint ("0" disables it)`)
	fs.StringVar(&cfg.HealthProbeBindAddress, "health-probe-bind-address", ":8081", `address of /healthz and /readyz ("0" disables them)`)
	fs.BoolVar(&cfg.LeaderElection, "leader-elect", false, "elect a leader through a Lease, so that only one replica reconciles")
	fs.StringVar(&cfg.LeaderElectionID, "leader-election-id", controllers.DefaultLeaderElectionID, "name of the leader election Lease")
	fs.StringVar(&cfg.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election Lease (default: the operator's own namespace)")
	fs.StringVar(&cfg.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
	fs.StringVar(&cfg.DefaultImage, "default-image", os.Getenv("EVENTINGESTOR_IMAGE"),
		"image of the clusters without spec.image, normally the operator's own (default $EVENTINGESTOR_IMAGE)")
	zapFlags := flag.NewFlagSet("zap", flag.ContinueOnError)
	cfg.Zap.BindFlags(zapFlags) // --zap-devel, --zap-encoder, --zap-log-level, ...
	fs.AddGoFlagSet(zapFlags)
	return cmd
}
