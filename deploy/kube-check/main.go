// kube-check validates CarbonID's Kubernetes overlays offline (no cluster, no kubectl). For each overlay it
//
//   - builds it with kustomize's Go API (what `kubectl kustomize` runs), reading the files from disk;
//   - decodes every object strictly into the typed Kubernetes API (k8s.io/api): an unknown or misspelled
//     field, a duplicate field or a kind outside the registered API groups fails;
//   - checks references (selectors, Services, ConfigMap and Secret keys, HPA targets, the Ingress backend);
//   - checks CarbonID's rules: probes on /health/ready and /health/live, resource requests and limits,
//     non-root, a graceful termination period, every CARBONID_* variable docker-compose.yml gives a service
//     present in that service's Deployment, a six-digit region code, a distinct topic prefix per overlay,
//     no SET-IN-OVERLAY placeholder left, no development secret in a real secrets file.
//
// Usage: go run . [-compose ../../docker-compose.yml] ../kubernetes/overlays/zhejiang ../kubernetes/overlays/jiangsu
//
// A file an overlay needs that is not committed (secrets.env) is read from its committed `.example` sibling
// when absent, so that CI validates the production layout with the example values, which the services
// refuse in production.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

const (
	placeholder     = "set-in-overlay" // what the base writes where an overlay must decide
	devSecretPrefix = "dev-insecure-"  // carbonid_kit.settings.DEVELOPMENT_SECRET_PREFIX
	minGraceSeconds = 30               // a consumer batch commits and the group rebalances in this time
	readyPath       = "/health/ready"  // carbonid_kit.app readiness
	livePath        = "/health/live"   // carbonid_kit.app liveness
)

var (
	regionCode  = regexp.MustCompile(`^\d{6}$`)                 // GB/T 2260, as ServiceSettings.region_code
	topicPrefix = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*\.$`) // e.g. "zj.": topics zj.emission.calculated.v1
)

func main() {
	compose := flag.String("compose", "../../docker-compose.yml", "docker-compose.yml whose CARBONID_* variables every Deployment must have")
	print := flag.Bool("print", false, "also print each overlay's built YAML (as `kubectl kustomize` would) to standard output")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run . [-compose path] OVERLAY_DIR...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	composeEnv, err := loadComposeEnv(*compose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-check:", err)
		os.Exit(1)
	}

	failed := false
	prefixOwner := map[string]string{}
	for _, dir := range flag.Args() {
		r := checkOverlay(dir, composeEnv, *print)
		if r.prefix != "" {
			if other, ok := prefixOwner[r.prefix]; ok {
				r.fail("topic prefix %q is also %s's: regions would share topics and consumer groups", r.prefix, other)
			}
			prefixOwner[r.prefix] = dir
		}
		if len(r.problems) > 0 {
			failed = true
			fmt.Printf("%s: FAILED, %d problem(s)\n", dir, len(r.problems))
			for _, p := range r.problems {
				fmt.Printf("  - %s\n", p)
			}
			continue
		}
		fmt.Printf("%s: ok: %s\n", dir, r.summary())
	}
	if failed {
		os.Exit(1)
	}
}

// ---- docker-compose.yml ------------------------------------------------------------------------------------

// loadComposeEnv gives, per compose service, the CARBONID_* names of its environment (YAML merge keys
// resolved: the services share an &service-env anchor).
func loadComposeEnv(path string) (map[string][]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the compose file: %w", err)
	}
	var doc struct {
		Services map[string]struct {
			Environment yaml.Node `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string][]string{}
	for name, svc := range doc.Services {
		var names []string
		switch svc.Environment.Kind {
		case 0:
		case yaml.MappingNode:
			var env map[string]any
			if err := svc.Environment.Decode(&env); err != nil {
				return nil, fmt.Errorf("%s: service %s: %w", path, name, err)
			}
			for k := range env {
				names = append(names, k)
			}
		case yaml.SequenceNode:
			var env []string
			if err := svc.Environment.Decode(&env); err != nil {
				return nil, fmt.Errorf("%s: service %s: %w", path, name, err)
			}
			for _, kv := range env {
				names = append(names, strings.SplitN(kv, "=", 2)[0])
			}
		default:
			return nil, fmt.Errorf("%s: service %s: environment is neither a mapping nor a list", path, name)
		}
		var carbonid []string
		for _, n := range names {
			if strings.HasPrefix(n, "CARBONID_") {
				carbonid = append(carbonid, n)
			}
		}
		if len(carbonid) > 0 {
			sort.Strings(carbonid)
			out[name] = carbonid
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no service has a CARBONID_* variable", path)
	}
	return out, nil
}

// ---- building ----------------------------------------------------------------------------------------------

// exampleFS is the disk, except that a missing file with a committed `<name>.example` sibling reads as that
// sibling: the overlays' secrets.env is never committed.
type exampleFS struct {
	filesys.FileSystem
	used map[string]bool
}

func (f *exampleFS) resolve(path string) (string, bool) {
	if f.FileSystem.Exists(path) || !f.FileSystem.Exists(path+".example") || f.FileSystem.IsDir(path+".example") {
		return path, false
	}
	return path + ".example", true
}

func (f *exampleFS) Exists(path string) bool {
	p, _ := f.resolve(path)
	return f.FileSystem.Exists(p)
}

func (f *exampleFS) Open(path string) (filesys.File, error) {
	p, _ := f.resolve(path)
	return f.FileSystem.Open(p)
}

func (f *exampleFS) ReadFile(path string) ([]byte, error) {
	p, example := f.resolve(path)
	if example {
		f.used[p] = true
	}
	return f.FileSystem.ReadFile(p)
}

func (f *exampleFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	p, example := f.resolve(path)
	dir, name, err := f.FileSystem.CleanedAbs(p)
	if example && err == nil {
		name = strings.TrimSuffix(name, ".example")
	}
	return dir, name, err
}

// ---- checking ----------------------------------------------------------------------------------------------

type result struct {
	problems  []string
	objects   int
	kinds     map[string]int
	region    string
	prefix    string
	namespace string
	examples  []string
}

func (r *result) fail(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func (r *result) summary() string {
	var kinds []string
	for k, n := range r.kinds {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(kinds)
	secrets := "secrets from real files"
	if len(r.examples) > 0 {
		secrets = "secrets from " + strings.Join(r.examples, ", ") + " (example values, refused in production)"
	}
	return fmt.Sprintf("%d objects decoded strictly (%s); region %s, topic prefix %q, namespace %s; %s",
		r.objects, strings.Join(kinds, ", "), r.region, r.prefix, r.namespace, secrets)
}

// built is one overlay's objects by kind, decoded.
type built struct {
	deployments []*appsv1.Deployment
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	ingresses   []*networkingv1.Ingress
	pdbs        []*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	namespaces  []string
}

func newDecoder() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, networkingv1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
}

func checkOverlay(dir string, composeEnv map[string][]string, print bool) *result {
	r := &result{kinds: map[string]int{}}
	fs := &exampleFS{FileSystem: filesys.MakeFsOnDisk(), used: map[string]bool{}}
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, dir)
	if err != nil {
		r.fail("kustomize build: %v", err)
		return r
	}
	absDir, _ := filepath.Abs(dir)
	for p := range fs.used {
		rel, err := filepath.Rel(absDir, p)
		if err != nil {
			rel = p
		}
		r.examples = append(r.examples, rel)
	}
	sort.Strings(r.examples)

	if print {
		y, err := resMap.AsYaml()
		if err != nil {
			r.fail("rendering: %v", err)
			return r
		}
		fmt.Printf("# %s\n%s---\n", dir, y)
	}
	decoder := newDecoder()
	b := &built{
		services: map[string]*corev1.Service{}, configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
	}
	undecoded := 0
	for _, res := range resMap.Resources() {
		r.objects++
		id := res.CurId().String()
		y, err := res.AsYAML()
		if err != nil {
			r.fail("%s: %v", id, err)
			continue
		}
		if strings.Contains(strings.ToLower(string(y)), placeholder) {
			r.fail("%s: a SET-IN-OVERLAY placeholder from the base is left: the overlay must set it", id)
		}
		obj, gvk, err := decoder.Decode(y, nil, nil)
		if err != nil {
			r.fail("%s: strict decoding: %v", id, err)
			undecoded++
			continue
		}
		r.kinds[gvk.Kind]++
		switch o := obj.(type) {
		case *appsv1.Deployment:
			b.deployments = append(b.deployments, o)
		case *corev1.Service:
			b.services[o.Name] = o
		case *corev1.ConfigMap:
			b.configMaps[o.Name] = o
		case *corev1.Secret:
			b.secrets[o.Name] = o
		case *networkingv1.Ingress:
			b.ingresses = append(b.ingresses, o)
		case *policyv1.PodDisruptionBudget:
			b.pdbs = append(b.pdbs, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			b.hpas = append(b.hpas, o)
		case *corev1.Namespace:
			b.namespaces = append(b.namespaces, o.Name)
		case *corev1.ServiceAccount:
		default:
			r.fail("%s: kube-check has no rule for kind %s; add one", id, gvk.Kind)
		}
	}
	if undecoded > 0 {
		return r // references and rules on a half-decoded build only add noise
	}
	checkSecrets(r, b)
	checkDeployments(r, b, composeEnv)
	checkServices(r, b)
	checkDisruptionAndScaling(r, b)
	checkIngress(r, b)
	sort.Strings(r.problems)
	if len(b.namespaces) != 1 {
		r.fail("expected one Namespace object, found %d", len(b.namespaces))
	} else {
		r.namespace = b.namespaces[0]
	}
	return r
}

func checkSecrets(r *result, b *built) {
	if len(r.examples) > 0 {
		return // the example files hold development values on purpose
	}
	for _, s := range b.secrets {
		for _, k := range sortedKeys(s.Data) {
			v := s.Data[k]
			if strings.HasPrefix(string(v), devSecretPrefix) || strings.Contains(string(v), ":"+devSecretPrefix) {
				r.fail("Secret %s: %s holds a development value (%s...), refused in production", s.Name, k, devSecretPrefix)
			}
		}
	}
}

// envOf resolves a container's environment: every name, and the value where it comes from a literal or a
// ConfigMap. Dangling references are problems.
func envOf(r *result, b *built, where string, c *corev1.Container) (names map[string]bool, values map[string]string) {
	names, values = map[string]bool{}, map[string]string{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm, ok := b.configMaps[from.ConfigMapRef.Name]
			if !ok {
				if from.ConfigMapRef.Optional == nil || !*from.ConfigMapRef.Optional {
					r.fail("%s: envFrom names ConfigMap %s, which the overlay does not build", where, from.ConfigMapRef.Name)
				}
				continue
			}
			for k, v := range cm.Data {
				names[from.Prefix+k] = true
				values[from.Prefix+k] = v
			}
		case from.SecretRef != nil:
			s, ok := b.secrets[from.SecretRef.Name]
			if !ok {
				if from.SecretRef.Optional == nil || !*from.SecretRef.Optional {
					r.fail("%s: envFrom names Secret %s, which the overlay does not build", where, from.SecretRef.Name)
				}
				continue
			}
			for k := range s.Data {
				names[from.Prefix+k] = true
			}
		}
	}
	for _, e := range c.Env {
		names[e.Name] = true
		delete(values, e.Name)
		switch {
		case e.ValueFrom == nil:
			values[e.Name] = e.Value
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, ok := b.configMaps[ref.Name]
			if !ok {
				r.fail("%s: %s reads ConfigMap %s, which the overlay does not build", where, e.Name, ref.Name)
				continue
			}
			v, ok := cm.Data[ref.Key]
			if !ok && (ref.Optional == nil || !*ref.Optional) {
				r.fail("%s: %s reads key %s, which ConfigMap %s does not have", where, e.Name, ref.Key, ref.Name)
			}
			values[e.Name] = v
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s, ok := b.secrets[ref.Name]
			if !ok {
				r.fail("%s: %s reads Secret %s, which the overlay does not build", where, e.Name, ref.Name)
				continue
			}
			if _, ok := s.Data[ref.Key]; !ok && (ref.Optional == nil || !*ref.Optional) {
				r.fail("%s: %s reads key %s, which Secret %s does not have", where, e.Name, ref.Key, ref.Name)
			}
		}
	}
	for k, v := range values {
		if strings.HasPrefix(k, "CARBONID_") && strings.HasPrefix(v, devSecretPrefix) {
			r.fail("%s: %s is a development secret written in plain text", where, k)
		}
	}
	return names, values
}

func httpProbe(r *result, where, kind string, p *corev1.Probe, path string, ports map[string]int32) {
	if p == nil {
		r.fail("%s: no %s probe", where, kind)
		return
	}
	if p.HTTPGet == nil || p.HTTPGet.Path != path {
		r.fail("%s: the %s probe must be an HTTP GET of %s", where, kind, path)
		return
	}
	port := p.HTTPGet.Port
	if port.StrVal != "" {
		if _, ok := ports[port.StrVal]; !ok {
			r.fail("%s: the %s probe's port %q is not a port of the container", where, kind, port.StrVal)
		}
	}
}

func checkResources(r *result, where string, c *corev1.Container) {
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			r.fail("%s: no %s request", where, res)
		}
		if _, ok := c.Resources.Limits[res]; !ok {
			r.fail("%s: no %s limit", where, res)
		}
	}
}

func imageTag(image string) string {
	if strings.Contains(image, "@") {
		return "digest"
	}
	name := image[strings.LastIndex(image, "/")+1:]
	if i := strings.LastIndex(name, ":"); i >= 0 {
		return name[i+1:]
	}
	return ""
}

func checkDeployments(r *result, b *built, composeEnv map[string][]string) {
	byName := map[string]*appsv1.Deployment{}
	regions, prefixes := map[string]bool{}, map[string]bool{}
	for _, d := range b.deployments {
		byName[d.Name] = d
		where := "Deployment " + d.Name
		pod := &d.Spec.Template.Spec
		if d.Spec.Selector == nil {
			r.fail("%s: no selector", where)
		} else if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			r.fail("%s: the selector does not match the pod template's labels", where)
		}
		if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < minGraceSeconds {
			r.fail("%s: terminationGracePeriodSeconds must be at least %d (consumers stop gracefully)", where, minGraceSeconds)
		}
		podNonRoot := pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot
		if len(pod.Containers) != 1 {
			r.fail("%s: expected one container, found %d", where, len(pod.Containers))
			continue
		}
		svc := &pod.Containers[0]
		var containers []*corev1.Container
		for i := range pod.InitContainers {
			containers = append(containers, &pod.InitContainers[i])
		}
		containers = append(containers, svc)

		var mainNames map[string]bool
		for _, c := range containers {
			cw := fmt.Sprintf("%s container %s", where, c.Name)
			isInit := c != svc
			sc := c.SecurityContext
			if !podNonRoot && (sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
				r.fail("%s: not runAsNonRoot", cw)
			}
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				r.fail("%s: allowPrivilegeEscalation must be false", cw)
			}
			if tag := imageTag(c.Image); tag == "" || tag == "latest" {
				r.fail("%s: image %s has no pinned tag", cw, c.Image)
			}
			if isInit && c.Image != svc.Image {
				r.fail("%s: image %s differs from the service's %s (migrations must match the code)", cw, c.Image, svc.Image)
			}
			checkResources(r, cw, c)
			names, values := envOf(r, b, cw, c)
			if !isInit {
				mainNames = names
				ports := map[string]int32{}
				for _, p := range c.Ports {
					ports[p.Name] = p.ContainerPort
				}
				httpProbe(r, cw, "readiness", c.ReadinessProbe, readyPath, ports)
				httpProbe(r, cw, "liveness", c.LivenessProbe, livePath, ports)
				if v := values["CARBONID_ENVIRONMENT"]; v != "production" {
					r.fail("%s: CARBONID_ENVIRONMENT is %q, not production (development secrets would be accepted)", cw, v)
				}
				region, prefix := values["CARBONID_REGION_CODE"], values["CARBONID_TOPIC_PREFIX"]
				regions[region], prefixes[prefix] = true, true
			}
			if want, ok := composeEnv[d.Name]; ok {
				for _, n := range want {
					if !names[n] {
						r.fail("%s: %s is missing (docker-compose.yml gives it to %s)", cw, n, d.Name)
					}
				}
			}
		}
		// The migration container must see what the service sees (settings are validated on import).
		for _, c := range pod.InitContainers {
			names, _ := envOf(&result{}, b, "", &c)
			for n := range mainNames {
				if strings.HasPrefix(n, "CARBONID_") && !names[n] {
					r.fail("%s init container %s: %s is missing (the service container has it)", where, c.Name, n)
				}
			}
		}
	}
	for svc := range composeEnv {
		if _, ok := byName[svc]; !ok {
			r.fail("no Deployment %s, though docker-compose.yml runs that service", svc)
		}
	}
	if len(regions) != 1 || len(prefixes) != 1 {
		r.fail("the Deployments disagree on CARBONID_REGION_CODE %v or CARBONID_TOPIC_PREFIX %v", keys(regions), keys(prefixes))
		return
	}
	r.region, r.prefix = keys(regions)[0], keys(prefixes)[0]
	if !regionCode.MatchString(r.region) {
		r.fail("CARBONID_REGION_CODE %q is not a six-digit GB/T 2260 code", r.region)
	}
	if !topicPrefix.MatchString(r.prefix) {
		r.fail("CARBONID_TOPIC_PREFIX %q: want lower-case letters, digits, '-' or '.', ending in '.' (e.g. \"zj.\")", r.prefix)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// podsOf are the Deployments whose pods a selector picks.
func podsOf(b *built, sel labels.Selector) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, d := range b.deployments {
		if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			out = append(out, d)
		}
	}
	return out
}

func checkServices(r *result, b *built) {
	for _, s := range b.services {
		where := "Service " + s.Name
		if len(s.Spec.Selector) == 0 {
			r.fail("%s: no selector", where)
			continue
		}
		ds := podsOf(b, labels.SelectorFromSet(s.Spec.Selector))
		if len(ds) != 1 {
			r.fail("%s: its selector picks %d Deployments, want 1", where, len(ds))
			continue
		}
		for _, p := range s.Spec.Ports {
			if p.TargetPort.StrVal == "" {
				continue
			}
			found := false
			for _, cp := range ds[0].Spec.Template.Spec.Containers[0].Ports {
				found = found || cp.Name == p.TargetPort.StrVal
			}
			if !found {
				r.fail("%s: targetPort %q is not a port of Deployment %s", where, p.TargetPort.StrVal, ds[0].Name)
			}
		}
	}
}

func checkDisruptionAndScaling(r *result, b *built) {
	covered := map[string]bool{}
	for _, p := range b.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil {
			r.fail("PodDisruptionBudget %s: %v", p.Name, err)
			continue
		}
		ds := podsOf(b, sel)
		if len(ds) == 0 {
			r.fail("PodDisruptionBudget %s: its selector picks no Deployment", p.Name)
		}
		for _, d := range ds {
			covered[d.Name] = true
		}
	}
	deployments := map[string]*appsv1.Deployment{}
	for _, d := range b.deployments {
		deployments[d.Name] = d
		if !covered[d.Name] {
			r.fail("Deployment %s: no PodDisruptionBudget", d.Name)
		}
	}
	for _, h := range b.hpas {
		where := "HorizontalPodAutoscaler " + h.Name
		ref := h.Spec.ScaleTargetRef
		d, ok := deployments[ref.Name]
		if ref.Kind != "Deployment" || !ok {
			r.fail("%s: scales %s %s, which the overlay does not build", where, ref.Kind, ref.Name)
			continue
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
			r.fail("%s: want 1 <= minReplicas <= maxReplicas", where)
		}
		if d.Spec.Replicas != nil {
			r.fail("Deployment %s: sets replicas though %s owns them (each apply would reset the count)", d.Name, where)
		}
	}
}

func checkIngress(r *result, b *built) {
	toGateway := false
	for _, in := range b.ingresses {
		where := "Ingress " + in.Name
		for _, t := range in.Spec.TLS {
			if t.SecretName == "" {
				r.fail("%s: a TLS entry without secretName", where)
			}
		}
		for _, rule := range in.Spec.Rules {
			if rule.Host == "" {
				r.fail("%s: a rule without host", where)
			}
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				be := p.Backend.Service
				if be == nil {
					r.fail("%s: path %s has no Service backend", where, p.Path)
					continue
				}
				s, ok := b.services[be.Name]
				if !ok {
					r.fail("%s: path %s goes to Service %s, which the overlay does not build", where, p.Path, be.Name)
					continue
				}
				portOK := false
				for _, sp := range s.Spec.Ports {
					portOK = portOK || (be.Port.Name != "" && sp.Name == be.Port.Name) || (be.Port.Number != 0 && sp.Port == be.Port.Number)
				}
				if !portOK {
					r.fail("%s: path %s names a port Service %s does not have", where, p.Path, be.Name)
				}
				toGateway = toGateway || be.Name == "gateway"
			}
		}
	}
	if !toGateway {
		r.fail("no Ingress routes to the gateway Service")
	}
}
