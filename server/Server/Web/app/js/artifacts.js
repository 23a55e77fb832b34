// The job's artifacts (GET /jobs/{id}/artifacts: [{path, size}]) as a list of download links.

import { el } from './format.js';

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function renderArtifacts(section, jobId, artifacts) {
  if (!artifacts || artifacts.length === 0) {
    section.classList.add('hidden');
    return;
  }
  const list = el('ul');
  for (const artifact of artifacts) {
    const item = el('li');
    const link = el('a', null, artifact.path);
    link.href = `/jobs/${encodeURIComponent(jobId)}/artifacts/${artifact.path.split('/').map(encodeURIComponent).join('/')}`;
    link.setAttribute('download', artifact.path.split('/').pop());
    item.append(link, el('span', 'size', ` ${formatSize(artifact.size)}`));
    list.appendChild(item);
  }
  section.replaceChildren(el('h2', null, 'Artifacts'), list);
  section.classList.remove('hidden');
}
