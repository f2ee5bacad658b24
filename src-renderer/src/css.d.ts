// Lets TypeScript accept side-effect stylesheet imports (`import './app.css'`), which Vite bundles.
declare module '*.css';
