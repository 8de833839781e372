import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deploymentName } from '../../activities/clusters/nodes';
import { rolesUsedBy, runOrchestrator } from '../../activities/clusters/orchestrator';
import { checkTemplateSyntax, renderClusterDocument, type TemplateContext } from '../../activities/clusters/template';
import { mergeOptions } from '../../api/clusters/launch';
import { HttpError } from '../../api/errors';
import { clusterDn, clusterIdOf } from '../../db/clusters';
import { FABFILE, MINIMAL_JSON, MINIMAL_YAML } from './support';

const dn = clusterDn({ owner: 'alice', product: 'reference', version: '1.0.0', number: 3 });
const context = (opts: Record<string, unknown>): TemplateContext => ({
  opts,
  user: 'alice',
  product: 'reference',
  version: '1.0.0',
  clusterdn: dn,
  clusterid: clusterIdOf(dn),
});

describe('templates (Jinja2 via nunjucks)', () => {
  it("renders upstream's minimal.json: the size option sets the node count, clusterid the dnsname", () => {
    const doc = renderClusterDocument(MINIMAL_JSON, 'json+jinja2', context({ size: '3' })); // the seed sends "2" as a string
    expect(doc.dnsname).toBe('clusters--alice--reference--1__0__0--3');
    expect(Object.keys(doc.nodes)).toEqual(['example0', 'example1', 'example2']);
    expect(doc.nodes.example1).toMatchObject({ docker_image: 'centos:7.1.1503', cpu: 1, mem: 4096, disks: { disk4: { destination: '/storage1' } } });
    expect(doc.services.service1!.nodes).toEqual(['example0', 'example1', 'example2']);
  });

  it('renders a YAML template (parsed by the yaml library), keeping extra keys as properties', () => {
    const doc = renderClusterDocument(MINIMAL_YAML, 'yaml+jinja2', context({ size: 2, cpu: 0.5 }));
    expect(Object.keys(doc.nodes)).toEqual(['example0', 'example1']);
    expect(doc.nodes.example0!.cpu).toBe(0.5);
    expect(doc.services.service1).toEqual({ heap: 1024, nodes: ['example0', 'example1'] });
  });

  it('names the line of a syntax error', () => {
    expect(() => checkTemplateSyntax('{\n  "a": 1,\n  {% if %}\n}')).toThrow(/^template syntax error at line 3, column \d+: unexpected token/);
    expect(() => checkTemplateSyntax('{\n{% for n in range(3) %}\n')).toThrow(/^template syntax error at line 3 \(end of template\): unexpected end of file/);
    expect(() => checkTemplateSyntax('a\n{% endfor %}')).toThrow(/line 2, column \d+: unknown block tag: endfor/);
  });

  it('explains each way a launch can fail to render', () => {
    const render = (source: string, opts: Record<string, unknown> = {}) => () => renderClusterDocument(source, 'json+jinja2', context(opts));
    expect(render('{"dnsname": "{{ opts.missing }}"}')).toThrow(/^rendering failed at line 1, column \d+: attempted to output null or undefined/);
    expect(render('{"dnsname": "x", "nodes": {')).toThrow(/^the rendered template is not valid JSON/);
    expect(render('{"dnsname": "x", "nodes": {}, "services": {}}')).toThrow(/^the rendered document is invalid: nodes: declares no node/);
    expect(render('{"dnsname": "x", "nodes": {"a": {"docker_image": "i", "cpu": "two", "mem": 1, "disks": {}, "networks": {}}}, "services": {}}')).toThrow(
      /nodes\.a\.cpu: /,
    );
    expect(render('{"dnsname": "x", "nodes": {"a": {"docker_image": "i", "cpu": 1, "mem": 1, "disks": {}, "networks": {}}}, "services": {"s": {"nodes": ["b"]}}}')).toThrow(
      /services\.s\.nodes\.0: names node "b", which the template does not declare/,
    );
    expect(() => renderClusterDocument('dnsname: [unclosed', 'yaml+jinja2', context({}))).toThrow(/^the rendered template is not valid YAML/);
  });

  it('bounds what an option can make a template do', () => {
    expect(() => renderClusterDocument(MINIMAL_JSON, 'json+jinja2', context({ size: 1e9 }))).toThrow(/range\(0, 1000000000\) would yield 1000000000 items; at most 10000/);
    expect(() => renderClusterDocument(MINIMAL_JSON, 'json+jinja2', context({ size: 101 }))).toThrow(/nodes: declares 101 nodes; at most 100/);
  });

  it("offers Jinja2's tojson, so option values cannot break the document", () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const doc = renderClusterDocument(
          '{"dnsname": {{ opts.name | tojson }}, "nodes": {"a": {"docker_image": "i", "cpu": 1, "mem": 1, "disks": {}, "networks": {}}}, "services": {}}',
          'json+jinja2',
          context({ name: `x${name}` }),
        );
        expect(doc.dnsname).toBe(`x${name}`);
      }),
      { numRuns: 200 },
    );
  });
});

describe('launch options', () => {
  const options = { required: { size: 4 }, optional: { cpu: 2, size: 9 }, advanced: { heap: 1024 }, descriptions: {} };

  it('merges required, optional and advanced defaults, then the request', () => {
    expect(mergeOptions(options, { size: 2, extra: true })).toEqual({ size: 2, cpu: 2, heap: 1024, extra: true });
    expect(mergeOptions(null, { size: 2 })).toEqual({ size: 2 });
  });

  it('rejects a request without a required option as "invalid options"', () => {
    const err = (() => {
      try {
        mergeOptions(options, { cpu: 1 });
      } catch (e) {
        return e as HttpError;
      }
    })();
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 400, code: 'invalid options', message: 'missing required option: size' });
  });
});

describe('the orchestrator step (simulated)', () => {
  const nodes = [
    { name: 'example0', address: '10.128.0.2', host: 'host-1' },
    { name: 'example1', address: '10.128.0.3', host: 'host-2' },
  ];
  const services = [{ name: 'service1', nodes: ['example0', 'example1'] }];

  it('records per service which nodes the start task runs on', () => {
    const { output, failure } = runOrchestrator({ script: FABFILE, clusterdn: dn, nodes, services });
    expect(failure).toBeUndefined();
    expect(output.service1).toEqual([
      expect.stringMatching(/^orchestrator sha256:[0-9a-f]{12} \(\d+ lines\), CLUSTERDN=clusters\/alice\/reference\/1\.0\.0\/3$/),
      "roledefs['service1'] = [10.128.0.2, 10.128.0.3]",
      '[10.128.0.2] start: service service1 on node example0 (host host-1)',
      '[10.128.0.3] start: service service1 on node example1 (host host-2)',
      'done: 2 node(s) configured',
    ]);
  });

  it('fails when the script uses a role the cluster has no service for, or a node has no address', () => {
    expect(rolesUsedBy(`@roles('initiator', "responders")\n  @roles('peerback')`)).toEqual(['initiator', 'responders', 'peerback']);
    // Upstream's fabfiles mention `@roles('servicename1')` in their docstring: prose, not a decorator.
    expect(rolesUsedBy(`"""\nIt can be used with the decorator: @roles('servicename1')\n"""\n@roles('a')`)).toEqual(['a']);
    expect(runOrchestrator({ script: "@roles('namenode')", clusterdn: dn, nodes, services }).failure).toBe(
      "the orchestrator uses role 'namenode', but the cluster has no such service",
    );
    expect(runOrchestrator({ script: FABFILE, clusterdn: dn, nodes: [{ ...nodes[0]!, address: null }], services: [] }).failure).toMatch(/cannot reach node example0/);
  });

  it('without a script, configures nothing and says so', () => {
    expect(runOrchestrator({ script: null, clusterdn: dn, nodes, services }).output.service1).toEqual([
      'no orchestrator registered for this product version: nothing to configure',
    ]);
  });
});

it('names deployments with DNS labels unique per cluster and node', () => {
  expect(deploymentName('t1a2b-', 17, 0, 'Example_0')).toBe('t1a2b-c17-n0-example-0');
  expect(deploymentName('', 3, 12, 'x'.repeat(80))).toMatch(/^c3-n12-x+$/);
  expect(deploymentName('', 3, 12, 'x'.repeat(80))).toHaveLength(63);
});
