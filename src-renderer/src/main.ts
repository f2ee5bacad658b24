// Renderer entry: global styles, then the App shell mounted with Svelte 5's `mount`.
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element to mount into');

mount(App, { target });
