import preset from '../jest.preset.cjs';

export default preset(import.meta.dirname, { displayName: 'deploy' });
