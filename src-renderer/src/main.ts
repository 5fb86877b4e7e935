import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { connectHost } from './api/client';
import { provideHost } from './api/host';
import { startRouter } from './router';
import './styles/base.css';
import './styles/controls.css';
import './styles/print.css';

provideHost(connectHost());
startRouter();
createApp(App).use(createPinia()).mount('#app');
