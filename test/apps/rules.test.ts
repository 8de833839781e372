import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CreateAppBody } from '../../api/apps/schemas';
import { seedDate, shownGitUrl } from '../../api/apps/views';
import { injectedEnv, mediaServerLimit } from '../../db/apps';
import { decideScaling, type AppLoad } from '../../workflows/apps/autoscale-policy';

const load = (over: Partial<AppLoad>): AppLoad => ({ gone: false, status: 'RUNNING', hosts: 2, activeHosts: 2, average: 100, limit: 3, threshold: 140, ...over });

describe('the autoscaling policy', () => {
  it('scales out at the threshold, in at the low mark, and waits in between', () => {
    expect(decideScaling(load({ average: 140 }), 60, 0)).toMatchObject({ action: 'out', reason: expect.stringMatching(/140 on 2 ACTIVE media server\(s\) ≥ threshold 140/) });
    expect(decideScaling(load({ average: 60 }), 60, 0)).toMatchObject({ action: 'in', reason: expect.stringMatching(/≤ low mark 60/) });
    expect(decideScaling(load({ average: 100 }), 60, 0)).toMatchObject({ action: 'none', reason: expect.stringMatching(/between/) });
  });

  it('holds at the limits, during the cooldown, while not RUNNING and without an ACTIVE media server', () => {
    expect(decideScaling(load({ average: 500, hosts: 3 }), 60, 0)).toMatchObject({ action: 'none', reason: expect.stringMatching(/maximum of 3/) });
    expect(decideScaling(load({ average: 0, hosts: 1 }), 60, 0)).toMatchObject({ action: 'none', reason: expect.stringMatching(/minimum of 1/) });
    expect(decideScaling(load({ average: 500 }), 60, 1500)).toMatchObject({ action: 'none', reason: expect.stringMatching(/cooling down \(2 s left\)/) });
    expect(decideScaling(load({ status: 'DEPLOYNG' }), 60, 0)).toEqual({ action: 'none', reason: 'app is DEPLOYNG' });
    expect(decideScaling(load({ average: null, activeHosts: 0 }), 60, 0).action).toBe('none');
  });

  it('never steps outside 1..limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), fc.double({ min: 0, max: 1000, noNaN: true }), (hosts, limit, average) => {
        const { action } = decideScaling(load({ hosts, limit, average }), 60, 0);
        const after = hosts + (action === 'out' ? 1 : action === 'in' ? -1 : 0);
        return after >= 1 && (action !== 'out' || after <= limit);
      }),
    );
  });
});

describe('the create body', () => {
  const base = { name: 'a', gitURL: 'https://github.com/nubomedia/nubomedia-magic-mirror.git', flavor: 'SMALL' };

  it('takes the seed’s legacy keys and fills upstream’s defaults', () => {
    const parsed = CreateAppBody.parse({ ...base, scaleInOut: 2, scale_out_threshold: 50, ports: [{ port: 8443, protocol: 'tcp' }] });
    expect(parsed).toMatchObject({ scaleOutLimit: 2, scaleOutThreshold: 50, replicasNumber: 1, numberOfInstances: 1, services: [], cdnConnector: false });
    expect(parsed.ports).toEqual([{ port: 8443, targetPort: 8443, protocol: 'TCP' }]);
    expect(CreateAppBody.parse({ ...base, scaleOutLimit: 3, scaleOutThreshold: 70 })).toMatchObject({ scaleOutLimit: 3, scaleOutThreshold: 70 });
  });

  it('accepts the git URLs the builder clones, and nothing else', () => {
    for (const gitURL of ['https://github.com/a/b.git', 'ssh://git@host/a.git', 'git@github.com:a/b.git', 'file:///tmp/app.git']) {
      expect(CreateAppBody.safeParse({ ...base, gitURL }).success, gitURL).toBe(true);
    }
    for (const gitURL of ['ftp://host/a', '/tmp/app.git', 'https://', 'git://host/a.git']) expect(CreateAppBody.safeParse({ ...base, gitURL }).success, gitURL).toBe(false);
  });

  it('answers the git URL with its credentials masked (found by the secrets sweep): an http(s) user or token and any password', () => {
    expect(shownGitUrl('https://bot:ghp_secret@github.com/a/b.git')).toBe('https://******:******@github.com/a/b.git');
    expect(shownGitUrl('https://ghp_secret@github.com/a/b.git')).toBe('https://******@github.com/a/b.git');
    expect(shownGitUrl('ssh://git:pw@host/a.git')).toBe('ssh://git:******@host/a.git');
    for (const plain of ['https://github.com/a/b.git', 'ssh://git@host/a.git', 'git@github.com:a/b.git', 'file:///tmp/app.git']) expect(shownGitUrl(plain)).toBe(plain);
  });
});

describe('shared rules', () => {
  it('injects <SERVICE>_HOST and <SERVICE>_<VAR>', () => {
    expect(injectedEnv([{ name: 'mysql', osName: 'lc720bc5f-l673e47be', envVars: [{ name: 'MYSQL_USER', value: 'test' }] }], 'nubomedia')).toEqual([
      { name: 'MYSQL_HOST', value: 'lc720bc5f-l673e47be-svc.nubomedia.svc.cluster.local' },
      { name: 'MYSQL_MYSQL_USER', value: 'test' },
    ]);
  });

  it('limits media servers by scaleOutLimit, else numberOfInstances', () => {
    expect(mediaServerLimit({ scale_out_limit: 0, number_of_instances: 3 })).toBe(3);
    expect(mediaServerLimit({ scale_out_limit: 5, number_of_instances: 3 })).toBe(5);
  });

  it('writes dates as upstream did', () => {
    expect(seedDate(new Date('2016-10-19T12:37:20Z'))).toBe('Oct 19, 2016 12:37:20 PM');
    expect(seedDate(new Date('2016-09-28T06:49:35Z'))).toBe('Sep 28, 2016 6:49:35 AM');
  });
});
