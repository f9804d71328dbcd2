// Workers as ES modules, so that the library's lazily loaded parts (dynamic import()) can be split.
export default { worker: { format: 'es' } };
