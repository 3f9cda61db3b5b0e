// Command image packs one static binary into a single-layer container image
// tarball (the `docker save` layout, which `ctr images import` and
// `docker load` read), without Docker or a registry:
//
//	go run ./hack/image --binary bin/images/eventingestor --tag docker.io/library/eventingestor:e2e \
//	    --output bin/images/eventingestor-e2e.tar
//
// The image holds only the binary (at --path, default /<binary name>), runs
// it as its entrypoint, as --user (default 65532:65532, distroless'
// "nonroot", as in the Dockerfile). Its layer is reproducible: fixed
// timestamps and ownership, so the same binary gives the same image digest.
package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// epoch is the modification time of every file of the layer and the image's
// creation time: images are reproducible.
var epoch = time.Unix(0, 0).UTC()

type options struct {
	binary string
	inPath string
	tag    string
	output string
	user   string
	args   string
}

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", "", "static binary to pack (required)")
	flag.StringVar(&o.inPath, "path", "", "absolute path of the binary inside the image (default /<file name of --binary>)")
	flag.StringVar(&o.tag, "tag", "", "image reference to tag the image with, e.g. docker.io/library/eventingestor:e2e (required)")
	flag.StringVar(&o.output, "output", "", "image tarball to write (required)")
	flag.StringVar(&o.user, "user", "65532:65532", "user:group the image runs as")
	flag.StringVar(&o.args, "cmd", "", "default arguments (Cmd), separated by spaces")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.binary == "" || o.tag == "" || o.output == "" {
		return errors.New("--binary, --tag and --output are required")
	}
	if o.inPath == "" {
		o.inPath = "/" + filepath.Base(o.binary)
	}
	if !path.IsAbs(o.inPath) {
		return fmt.Errorf("--path must be absolute, not %q", o.inPath)
	}
	ref, err := name.NewTag(o.tag)
	if err != nil {
		return fmt.Errorf("--tag: %w", err)
	}
	bin, err := os.ReadFile(o.binary)
	if err != nil {
		return err
	}
	if err := checkStatic(bin); err != nil {
		return fmt.Errorf("%s: %w", o.binary, err)
	}
	layerTar, err := singleFileTar(strings.TrimPrefix(o.inPath, "/"), bin)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return fmt.Errorf("append layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.OS = "linux"
	cfg.Architecture = runtime.GOARCH
	cfg.Created = v1.Time{Time: epoch}
	cfg.Config.Entrypoint = []string{o.inPath}
	if o.args != "" {
		cfg.Config.Cmd = strings.Fields(o.args)
	}
	cfg.Config.User = o.user
	cfg.Config.WorkingDir = "/"
	cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(o.output), 0o750); err != nil {
		return err
	}
	// Write next to the output and rename: a killed run leaves no torn tarball.
	tmp := o.output + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, o.output); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s (%s, %d MiB binary) -> %s\n", ref, digest, o.inPath, len(bin)>>20, o.output)
	return nil
}

// singleFileTar is an uncompressed tar holding the executable file p.
func singleFileTar(p string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	// The parent directories first, as a runtime unpacking the layer expects.
	dir := path.Dir(p)
	if dir != "." {
		parts := strings.Split(dir, "/")
		for i := range parts {
			d := strings.Join(parts[:i+1], "/") + "/"
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: 0o755, Size: int64(len(data)), ModTime: epoch, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkStatic refuses a binary that is not an ELF executable or that needs a
// dynamic loader (a PT_INTERP program header): the image has no libc.
func checkStatic(bin []byte) error {
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked (build it with CGO_ENABLED=0)")
		}
	}
	return nil
}
