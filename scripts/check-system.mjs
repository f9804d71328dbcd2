// pretest: the GPU and browser tests need Chromium (its SwiftShader Vulkan driver gives Dawn a
// WebGPU adapter without a GPU) and the Vulkan loader. Installs them with apt when root,
// otherwise stops with the exact command to run.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const has = (cmd) => {
  try {
    execSync(cmd, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const missing = [];
if (!existsSync('/usr/bin/chromium') || !existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) missing.push('chromium');
if (!has('ldconfig -p | grep -q libvulkan.so.1') && !existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1') && !existsSync('/usr/lib/aarch64-linux-gnu/libvulkan.so.1')) missing.push('libvulkan1');

if (missing.length > 0) {
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() === 0) {
    console.log(`pretest: installing ${missing.join(', ')}: ${command}`);
    execSync(command, { stdio: 'inherit', shell: '/bin/bash' });
  } else {
    console.error(`pretest: the tests need ${missing.join(' and ')}. Install with:\n  sudo ${command.replace('&& apt-get', '&& sudo apt-get')}`);
    process.exit(1);
  }
}
