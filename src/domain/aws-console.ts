/**
 * Links to the AWS console, in the right partition: the commercial console
 * (`<region>.console.aws.amazon.com`), China (`<region>.console.amazonaws.cn`) and GovCloud
 * (`console.amazonaws-us-gov.com`). The one builder of CloudWatch console links: evidence links of
 * the diagnostics (through the CloudWatch adapter) and the alarm link of a normalised alert; and the
 * one place that knows which partition a region belongs to (also used by the SNS verifier).
 */

export type AwsPartition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** The partition of a region code: `cn-north-1` is aws-cn, `us-gov-west-1` aws-us-gov, the rest aws. */
export function partitionOfRegion(region: string): AwsPartition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The console's home page of a service in a region: `https://<host>/<service>/home?region=<region>`. */
export function consoleHome(service: string, region: string, partition: string = partitionOfRegion(region)): string {
  const regionHost = /^[a-z0-9-]+$/.test(region) ? `${region}.` : '';
  const q = `region=${encodeURIComponent(region)}`;
  if (partition === 'aws-cn') return `https://${regionHost}console.amazonaws.cn/${service}/home?${q}`;
  if (partition === 'aws-us-gov') return `https://console.amazonaws-us-gov.com/${service}/home?${q}`;
  return `https://${regionHost}console.aws.amazon.com/${service}/home?${q}`;
}

/** JSURL-style value encoding used by the CloudWatch console's metric graph links. */
function consoleString(s: string): string {
  let out = "'";
  for (const ch of s) {
    if (/[A-Za-z0-9_.-]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else {
      const code = ch.codePointAt(0) ?? 0;
      out += code < 256 ? `*${code.toString(16).padStart(2, '0')}` : `**${code.toString(16).padStart(4, '0')}`;
    }
  }
  return out;
}

export type CloudWatchConsoleTarget =
  | { alarmName: string }
  | { namespace: string; metricName: string; dimensions?: { name: string; value: string }[]; stat?: string; period?: number };

/**
 * The CloudWatch console page of an alarm, or a graph of a metric, in the region's partition
 * (or the given one, e.g. from an alarm ARN).
 */
export function cloudWatchConsoleUrl(region: string, what: CloudWatchConsoleTarget, partition: string = partitionOfRegion(region)): string {
  const base = consoleHome('cloudwatch', region, partition);
  if ('alarmName' in what) return `${base}#alarmsV2:alarm/${encodeURIComponent(what.alarmName)}`;
  const metric = [what.namespace, what.metricName, ...(what.dimensions ?? []).flatMap((d) => [d.name, d.value])].map(consoleString).join('~');
  const opts = what.stat ? `~(stat~${consoleString(what.stat)})` : '';
  const graph = `~(metrics~(~(~${metric}${opts}))~region~${consoleString(region)}${what.period ? `~period~${what.period}` : ''})`;
  return `${base}#metricsV2:graph=${graph}`;
}
