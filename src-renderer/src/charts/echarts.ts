/**
 * The only place that loads ECharts, tree-shaken: line and scatter charts, the components the
 * option builders use, and the SVG renderer (vector output stays sharp in the printed PDF).
 */
import { use, init, type ECharts } from 'echarts/core';
import { LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

use([LineChart, ScatterChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, SVGRenderer]);

export function createChart(el: HTMLElement): ECharts {
  return init(el, undefined, { renderer: 'svg' });
}

export type { ECharts };
