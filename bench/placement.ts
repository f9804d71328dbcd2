// Where ONNX Runtime Web placed each node, from the verbose log of a session (logSeverityLevel 0):
// "Node placements", then per provider "All nodes placed on [P]. Number of nodes: N" or
// "Node(s) placed on [P]. Number of nodes: N" followed by one "  OpType (node name)" line per node.

/** ORT's verbose log lists the nodes each provider got; the CPU provider's are fallbacks. */
export function ortPlacement(lines: string[]): { providers: string[]; cpuNodes: string[] } {
  const providers = new Set<string>();
  const cpuNodes: string[] = [];
  let onCpu = false;
  for (const line of lines) {
    const placed = /placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (placed) {
      providers.add(placed[1]);
      onCpu = placed[1] === 'CPUExecutionProvider';
      if (onCpu && /All nodes/.test(line)) cpuNodes.push(`all ${placed[2]} node(s)`);
      continue;
    }
    const node = onCpu ? /^\s*(\w+) \(([^)]*)\)/.exec(line.replace(/^.*\]\s/, '')) : null;
    if (node && !node[1].startsWith('Memcpy')) cpuNodes.push(`${node[1]} ${node[2]}`);
    else if (!node) onCpu = onCpu && /^\s/.test(line);
  }
  return { providers: [...providers], cpuNodes };
}
